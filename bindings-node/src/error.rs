//! Core errors as JavaScript `Error`s carrying the core's details: `code`, `field`
//! (camelCase), `reason` and `retryAfter` (seconds). The package's JavaScript layer
//! (`tenantry.js`) turns them into its error classes, with the caller's stack. The way
//! back, [`core_error`], is for errors a migration written in JavaScript fails with.
//!
//! napi's own async path (`#[napi] async fn`) can only reject with an error whose `code` is
//! a napi `Status`, so every asynchronous method goes through [`promise`] instead: the
//! future yields the core `Result` untouched, and the conversion to a JS error happens back
//! on the JS thread, where the error object can be built and decorated.
//!
//! The future is polled once on the JS thread first: an answer the core has in memory (a
//! cached tenant, a token checked against cached versions) is returned (or thrown) there
//! and then, without a promise, the trip through the runtime's threads and libuv's
//! wake-up; the package's JavaScript layer makes every call a promise again.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker};

use napi::bindgen_prelude::{Either, JsObjectValue, Object, PromiseRaw, ToNapiValue};
use napi::{Env, JsValue, Status};

use crate::config::{camel, snake};

/// The result of an asynchronous method: a promise, or the value itself when the core had
/// it at once.
pub(crate) type Later<'env, V> = Either<PromiseRaw<'env, V>, V>;

/// Run a core future: its result at once if the first poll gives it (converted by
/// `convert` on success, thrown as [`to_js_error`] on failure), else a JS promise settled
/// the same way once it completes on napi's tokio runtime.
pub(crate) fn promise<'env, T, V, F, C>(
    env: &'env Env,
    fut: F,
    convert: C,
) -> napi::Result<Later<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    F: Future<Output = tenantry::Result<T>> + Send + 'static,
    C: FnOnce(T) -> V + 'static,
{
    let mut fut = Box::pin(fut);
    if let Some(runtime) = RUNTIME.get() {
        let first = {
            let _inside = runtime.enter();
            let mut cx = Context::from_waker(Waker::noop());
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fut.as_mut().poll(&mut cx)))
        };
        match first {
            Ok(Poll::Pending) => {}
            Ok(Poll::Ready(result)) => {
                return result
                    .map(|value| Either::B(convert(value)))
                    .map_err(|err| to_js_error(env, err))
            }
            Err(_) => {
                let bug = tenantry::Error::Internal("the operation panicked".into());
                return Err(to_js_error(env, bug));
            }
        }
    }
    env.spawn_future_with_callback(
        async move {
            // The first call (connecting) runs here, on napi's runtime: later polls on the
            // JS thread enter it (the core's futures spawn tasks and set timers).
            RUNTIME.get_or_init(tokio::runtime::Handle::current);
            Ok(fut.await)
        },
        move |env, result| result.map(convert).map_err(|err| to_js_error(env, err)),
    )
    .map(Either::A)
}

/// napi's tokio runtime, once a future has run on it.
static RUNTIME: OnceLock<tokio::runtime::Handle> = OnceLock::new();

/// A core error as a napi error wrapping a JS `Error` object with the core's details.
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
    object.set_named_property("field", err.field().map(camel))?;
    object.set_named_property("reason", err.reason())?;
    // Seconds fit a JS number exactly far beyond any sensible delay.
    object.set_named_property("retryAfter", err.retry_after().map(|d| d.as_secs() as f64))?;
    Ok(object)
}

/// The core error a JavaScript error of the package's classes stands for, from its
/// details (`code`, `field` in camelCase, `reason`, `retryAfter`, `message`): its code is
/// `code` (`INTERNAL` for a code the core does not have), and its message the error's
/// `message` for one the core made (a `DATABASE` error's aside: the core words those from
/// the driver's error, which does not cross).
pub(crate) fn core_error(
    code: &str,
    field: Option<&str>,
    reason: Option<String>,
    retry_after: Option<f64>,
    message: String,
) -> tenantry::Error {
    use tenantry::Error as E;
    let reason = reason.unwrap_or_else(|| message.clone());
    let field = || field.map_or("input", |f| static_name(&snake(f)));
    match code {
        "TENANT_NOT_FOUND" => E::NotFound {
            name: message
                .strip_prefix("tenant not found: ")
                .unwrap_or(&message)
                .to_owned(),
        },
        "TENANT_ALREADY_EXISTS" => E::AlreadyExists {
            field: field(),
            message,
        },
        "INVALID_INPUT" => E::InvalidInput {
            field: field(),
            message: reason,
        },
        "TENANT_SUSPENDED" => E::Suspended {
            name: message
                .strip_prefix("tenant suspended: ")
                .unwrap_or(&message)
                .to_owned(),
        },
        "INVALID_CREDENTIALS" => E::InvalidCredentials,
        "UNAUTHORIZED" => E::Unauthorized { reason },
        "FORBIDDEN" => E::Forbidden { message },
        "CONFLICT" => E::Conflict { message },
        "TOO_MANY_ATTEMPTS" => E::TooManyAttempts {
            retry_after_secs: retry_after.map_or(0, |s| s.max(0.0) as u64),
        },
        "CONFIG" => E::Config(reason),
        "CLOSED" => E::Closed,
        "DATABASE" => E::Database(std::io::Error::other(message).into()),
        "LAST_OWNER" => E::LastOwner,
        _ => E::Internal(reason),
    }
}

/// `name` as the `&'static str` the core's error fields are. The names are kept (once
/// each) for the process's life: a few hundred at most, past which `input` stands for any
/// other.
fn static_name(name: &str) -> &'static str {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(&kept) = names.get(name) {
        return kept;
    }
    if names.len() >= 256 {
        return "input";
    }
    let kept: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(kept);
    kept
}

/// Throw the core's sample error of the given code ([`tenantry::Error::sample`]), so the
/// tests can check the conversion of the kinds no call can provoke against a healthy server.
/// Not part of the public API.
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

/// Every code the core can give an error ([`tenantry::Error::CODES`]). Not part of the
/// public API.
#[napi_derive::napi(skip_typescript, js_name = "__errorCodes")]
pub fn error_codes() -> Vec<&'static str> {
    tenantry::Error::CODES.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_the_core_made_comes_back_with_its_code_and_message() {
        for code in tenantry::Error::CODES {
            let err = tenantry::Error::sample(code).unwrap();
            let field = err.field().map(camel);
            let retry = err.retry_after().map(|d| d.as_secs() as f64);
            let back = core_error(
                code,
                field.as_deref(),
                Some(err.reason()),
                retry,
                err.to_string(),
            );
            assert_eq!(back.code(), *code);
            assert_eq!(back.field(), err.field(), "{code}");
            if *code != "DATABASE" {
                assert_eq!(back.to_string(), err.to_string(), "{code}");
            }
        }
        let other = core_error("NO_SUCH_CODE", None, None, None, "TypeError: boom".into());
        assert_eq!(
            (other.code(), other.to_string().as_str()),
            ("INTERNAL", "internal error: TypeError: boom")
        );
        let bare = core_error("INVALID_INPUT", None, None, None, "plan must be set".into());
        assert_eq!(bare.to_string(), "invalid input: plan must be set");
        assert!(std::ptr::eq(
            static_name("new_name"),
            static_name("new_name")
        ));
    }
}
