//! Linker setup for a Node-API addon (undefined `napi_*` symbols resolve at load time).

fn main() {
    napi_build::setup();
}
