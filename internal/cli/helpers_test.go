package cli

import (
	"github.com/siit-project/siit/internal/config"
	"github.com/siit-project/siit/internal/control"
	"github.com/siit-project/siit/xlat"
)

func marshal(in *control.Instance) []byte { return config.Marshal(in.Config()) }

const countersLen = xlat.NumCounters
