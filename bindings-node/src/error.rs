//! Core errors as JavaScript `Error`s carrying the core's stable `code`.
//!
//! napi's own async path (`#[napi] async fn`) can only reject with an error whose `code` is
//! a napi `Status`, so every asynchronous method goes through [`promise`] instead: the
//! future yields the core `Result` untouched, and the conversion to a JS error happens back
//! on the JS thread, where the error object can be built and decorated (`code`, `field`,
//! `reason`, `retryAfterSecs`). A napi error wrapping a JS value rejects with that very
//! value, so callers see `err instanceof Error` and `err.code === "TENANT_NOT_FOUND"`.

use std::future::Future;

use napi::bindgen_prelude::{JsObjectValue, Object, PromiseRaw, ToNapiValue};
use napi::{Env, JsValue, Status};

/// Run a core future on napi's tokio runtime and settle a JS promise with its result,
/// converted by `convert` on success and by [`to_js_error`] on failure.
pub(crate) fn promise<'env, T, V, F, C>(
    env: &'env Env,
    fut: F,
    convert: C,
) -> napi::Result<PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    F: Future<Output = tenantry::Result<T>> + Send + 'static,
    C: FnOnce(T) -> V + 'static,
{
    env.spawn_future_with_callback(async move { Ok(fut.await) }, move |env, result| {
        result.map(convert).map_err(|err| to_js_error(env, err))
    })
}

/// A core error as a napi error wrapping a JS `Error` object with `code` (always), `field`
/// (when the core names the offending input), `reason` (the explanation without the field
/// or the "invalid token" prefix) and `retryAfterSecs` (for `TOO_MANY_ATTEMPTS`).
pub(crate) fn to_js_error(env: &Env, err: tenantry::Error) -> napi::Error {
    match build_js_error(env, &err) {
        Ok(object) => napi::Error::from(object.to_unknown()),
        // Building the object only fails while the environment shuts down; nobody will
        // read the code then, but keep it in the message all the same.
        Err(_) => napi::Error::new(Status::GenericFailure, format!("{} [{}]", err, err.code())),
    }
}

fn build_js_error<'env>(env: &'env Env, err: &tenantry::Error) -> napi::Result<Object<'env>> {
    let mut object = env.create_error(napi::Error::from_reason(err.to_string()))?;
    object.set_named_property("code", err.code())?;
    if let Some(field) = err.field() {
        object.set_named_property("field", field)?;
    }
    match err {
        tenantry::Error::InvalidInput { message, .. } => {
            object.set_named_property("reason", message.as_str())?;
        }
        tenantry::Error::Unauthorized { reason } => {
            object.set_named_property("reason", reason.as_str())?;
        }
        tenantry::Error::TooManyAttempts { retry_after_secs } => {
            // Seconds fit a JS number exactly far beyond any sensible delay.
            object.set_named_property("retryAfterSecs", *retry_after_secs as f64)?;
        }
        _ => {}
    }
    Ok(object)
}

/// Throw the core's sample error of the given code ([`tenantry::Error::sample`]), so the
/// tests can check the conversion of the kinds no call can provoke against a healthy server
/// (`TOO_MANY_ATTEMPTS`, `INTERNAL`). Not part of the public API.
#[napi_derive::napi(skip_typescript, js_name = "__throwSampleError")]
pub fn error_sample(env: &Env, code: String) -> napi::Result<()> {
    match tenantry::Error::sample(&code) {
        Some(err) => Err(to_js_error(env, err)),
        None => Err(napi::Error::new(
            Status::InvalidArg,
            format!("no core error has the code {code:?}"),
        )),
    }
}

/// Every code the core can give an error ([`tenantry::Error::CODES`]), so the tests can
/// check theirs against it. Not part of the public API.
#[napi_derive::napi(skip_typescript, js_name = "__errorCodes")]
pub fn error_codes() -> Vec<&'static str> {
    tenantry::Error::CODES.to_vec()
}
