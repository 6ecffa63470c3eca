//! Answers to requests whose body was left unread close their connection.
//!
//! A handler may answer before reading the request's body (a missing `Authorization`
//! header is refused before the body is looked at). hyper then drains what has arrived of
//! the body, and when the rest has not arrived yet it closes the connection after the
//! answer without saying so: a client that reuses the connection for its next request finds
//! it closed ("server disconnected without sending a response"). Saying `Connection: close`
//! on such answers tells the client not to reuse it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;

use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use futures_util::StreamExt;

/// The middleware: `Connection: close` on the answer when the request had a body that was
/// not read to its end.
pub async fn close_if_body_unread(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    if body.is_end_stream() {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let read = Arc::new(AtomicBool::new(false));
    let flag = read.clone();
    let mut data = body.into_data_stream();
    let tracked = futures_util::stream::poll_fn(move |cx| {
        let next = data.poll_next_unpin(cx);
        if let Poll::Ready(None) = next {
            flag.store(true, Ordering::Release);
        }
        next
    });
    let request = Request::from_parts(parts, Body::from_stream(tracked));
    let mut response = next.run(request).await;
    if !read.load(Ordering::Acquire) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
