# The fuzz harness of issue 10 for as long as asked; `make test` runs a bounded sample (test/fuzz/fuzz.slow.test.ts).
#   make fuzz FUZZ_RUNS=100000        inputs in child processes under the shipped heap flags
#   make fuzz FUZZ_SECONDS=600        or for a while; FUZZ_SEED reproduces a run, FUZZ_CLI_RUNS sets the CLI sample
#   make fuzz FUZZ_MODES=toml         one mode of test/fuzz/modes.ts (default all: config, config.toml, ...)
.PHONY: fuzz

fuzz: node_modules/.installed build
	FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_SEED=$(FUZZ_SEED) FUZZ_CLI_RUNS=$(FUZZ_CLI_RUNS) FUZZ_MODES=$(FUZZ_MODES) node --import tsx test/fuzz/main.ts
