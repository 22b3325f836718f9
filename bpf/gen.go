package bpf

// The generated steer_bpf{el,eb}.{go,o} are committed so that building siit needs no clang. Regenerate
// after editing steer.c with `go generate ./bpf` (needs clang, llvm-strip and libbpf-dev headers).
//
//go:generate go tool bpf2go -target bpfel,bpfeb -cc clang -cflags "-O2 -g -Wall -Werror -I/usr/include/x86_64-linux-gnu" steer steer.c
