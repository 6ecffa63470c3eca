# The two commands of the README: `make run` and `make test`. Everything they need is
# installed on first use (cmake and secantusd-rs, the test virtualenv, npm packages).

.PHONY: run test soak bench lint

## Start the example server on http://127.0.0.1:8000 (docs at /docs) over a local database
## kept in .dev/ (or over $MONGO_URI when set).
run:
	@scripts/run.sh

## Run every test against a throwaway MongoDB-wire server (or $MONGODB_URI when set).
test:
	@scripts/test.sh

## The randomized lifecycle model, longer than in `make test` (SOAK_SEQUENCES, default 2000).
soak:
	@scripts/soak.sh

## Benchmarks against a throwaway server: prints a table, writes target/bench/results.json
## and BENCHMARKS.md (about 10 minutes on 2 cores).
bench:
	@scripts/bench.sh

## Formatting and lints, as CI runs them.
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
