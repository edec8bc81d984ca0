# The two commands of the README: `make run` and `make test`. Both install what is missing.
.PHONY: run test setup build build-debug test-rust test-e2e test-fuzz test-package package lint bench watch clean

CARGO ?= cargo

run: setup build
	./target/release/havip serve --demo

# Everything is built first; then the suites, which need nothing from each other, run side by
# side (each prints its own output when it ends).
test:
	./scripts/setup.sh --tests
	./scripts/build-site.sh debug
	$(CARGO) build -p server
	$(CARGO) test --workspace --exclude frontend --no-run
	$(MAKE) -j4 --output-sync=target test-rust test-e2e test-fuzz test-package

setup:
	./scripts/setup.sh

build:
	./scripts/build-site.sh release
	$(CARGO) build -p server --release

# Rust unit and integration tests; the Postgres ones start a throwaway cluster themselves.
test-rust:
	$(CARGO) test --workspace --exclude frontend

# Playwright in Debian's Chromium, against target/debug/havip on a throwaway database.
test-e2e:
	cd end2end && npx playwright test

# Property-based fuzzing of the REST API from its OpenAPI document (Schemathesis), both stores.
test-fuzz:
	./scripts/fuzz-api.sh

# The Debian package of `make package`, from the debug build: contents, maintainer scripts,
# and (as root) installed, verified, started as its unit starts it, and purged.
test-package:
	./scripts/test-package.sh

# A Debian package (target/debian/havip_*.deb): the release binary, the site, the systemd unit.
package:
	./scripts/setup.sh --package
	./scripts/build-site.sh release
	$(CARGO) deb -p server

# The speed budgets of quality.md on the scale data set (release build, a few minutes).
bench:
	./scripts/setup.sh --tests
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -q wrk >/dev/null; } || { echo "make bench needs wrk: sudo apt-get install -y wrk"; exit 1; }
	./scripts/build-site.sh release
	$(CARGO) bench -p server --bench budgets

lint: setup
	$(CARGO) fmt --all --check
	@! $(CARGO) tree -p frontend --target wasm32-unknown-unknown -e normal --prefix none | grep -qiE '^(sqlx|tokio|axum|argon2|leptos_axum) ' \
		|| { echo "server-only crates reached the WebAssembly"; exit 1; }
	$(CARGO) clippy -p server --all-targets -- -D warnings
	$(CARGO) clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

watch:
	@command -v cargo-leptos >/dev/null || { echo "cargo-leptos is not installed: cargo install cargo-leptos --version 0.3.10 --locked"; exit 1; }
	HAVIP_DEMO=1 cargo leptos watch

clean:
	$(CARGO) clean
	rm -rf data end2end/node_modules end2end/test-results
