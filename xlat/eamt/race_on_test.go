//go:build race

package eamt

const raceEnabled = true
