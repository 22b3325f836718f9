package control

import (
	"testing"

	"github.com/siit-project/siit/internal/config"
	"github.com/siit-project/siit/xlat/eamt"
)

func BenchmarkPhaseParse1M(b *testing.B) {
	data := bigJSON(1_000_000)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := config.Parse(data, ""); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0)
}

func BenchmarkPhaseEncodeDecode1M(b *testing.B) {
	in, _ := config.Parse(bigJSON(1_000_000), "")
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := decodeEAMT(encodeEAMT(in.EAMT)); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0)
}

func BenchmarkPhaseBuild1M(b *testing.B) {
	in, _ := config.Parse(bigJSON(1_000_000), "")
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := (*eamt.Table)(nil).AddAll(in.EAMT, false); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0)
}
