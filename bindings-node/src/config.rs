//! An options object to the core's [`tenantry::Settings`]: camelCase keys become the core's
//! snake_case names; every name, default and check is the core's (an unknown option or a
//! value of the wrong kind is `CONFIG`).

use serde_json::{Map, Value};
use tenantry::Settings;

/// `jwtExpireMinutes` -> `jwt_expire_minutes`.
pub(crate) fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `jwt_expire_minutes` -> `jwtExpireMinutes`.
pub(crate) fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The settings an options object gives (`undefined` and `null` mean unset).
pub(crate) fn settings(options: Option<Map<String, Value>>) -> tenantry::Result<Settings> {
    let mut map = Map::new();
    for (key, value) in options.unwrap_or_default() {
        // camelCase names of the core's settings only (`jwt_secret` is not one).
        let name = snake(&key);
        if key.contains('_') || !Settings::FIELDS.iter().any(|s| s.name == name) {
            let hint = if key.contains('_') {
                " (options are camelCase)"
            } else {
                ""
            };
            return Err(tenantry::Error::Config(format!(
                "unknown option '{key}'{hint}"
            )));
        }
        map.insert(name, value);
    }
    Settings::from_map(map).map_err(camel_error)
}

/// A `CONFIG` error naming settings as JavaScript names them (other errors unchanged).
pub(crate) fn camel_error(err: tenantry::Error) -> tenantry::Error {
    match err {
        tenantry::Error::Config(message) => tenantry::Error::Config(camel_names(&message)),
        other => other,
    }
}

/// A core message about a setting, with the setting named as JavaScript names it.
fn camel_names(message: &str) -> String {
    let mut out = message.to_owned();
    for s in Settings::FIELDS {
        out = out.replace(&format!("{}:", s.name), &format!("{}:", camel(s.name)));
        out = out.replace(&format!("'{}'", s.name), &format!("'{}'", camel(s.name)));
    }
    out
}

/// The settings in force, with camelCase names.
pub(crate) fn to_object(settings: &Settings) -> Map<String, Value> {
    settings
        .to_map()
        .into_iter()
        .map(|(k, v)| (camel(&k), v))
        .collect()
}

/// Every option's name (camelCase) and environment variable, for the tests that check the
/// type declarations against the core's list. Not part of the public API.
#[napi_derive::napi(skip_typescript, js_name = "__settingsFields")]
pub fn settings_fields() -> Vec<Vec<String>> {
    Settings::FIELDS
        .iter()
        .map(|s| vec![camel(s.name), s.env.to_owned()])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_convert_both_ways() {
        for s in Settings::FIELDS {
            assert_eq!(snake(&camel(s.name)), s.name);
        }
        assert_eq!(camel("login_max_failures"), "loginMaxFailures");
    }

    #[test]
    fn options_reach_the_core_and_unknown_ones_are_refused() {
        let object = |v: Value| match v {
            Value::Object(m) => Some(m),
            _ => None,
        };
        let s = settings(object(serde_json::json!({
            "mongoUri": "mongodb://x", "jwtSecret": "0123456789abcdef", "bcryptCost": 5,
            "jwtAlgorithm": null,
        })))
        .unwrap();
        assert_eq!(s.bcrypt_cost, Some(5));
        let err = settings(object(serde_json::json!({ "bcryptCots": 5 }))).unwrap_err();
        assert!(err.to_string().contains("bcryptCots"), "{err}");
        let err = settings(object(serde_json::json!({ "bcrypt_cost": 5 }))).unwrap_err();
        assert!(err.to_string().contains("camelCase"), "{err}");
        let err = settings(object(serde_json::json!({ "bcryptCost": 1.5 }))).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid configuration: bcryptCost:"),
            "{err}"
        );
    }
}
