//! `--key value` options.

use std::collections::HashMap;
use std::str::FromStr;

use crate::Res;

pub struct Args(HashMap<String, String>);

impl Args {
    pub fn parse(mut argv: impl Iterator<Item = String>) -> Res<Args> {
        let mut map = HashMap::new();
        while let Some(key) = argv.next() {
            let Some(key) = key.strip_prefix("--") else {
                return Err(format!("expected --option, found '{key}'").into());
            };
            let value = argv
                .next()
                .ok_or_else(|| format!("--{key} needs a value"))?;
            map.insert(key.to_owned(), value);
        }
        Ok(Args(map))
    }

    /// A required option.
    pub fn req<T: FromStr>(&self, key: &str) -> Res<T> {
        let raw = self
            .0
            .get(key)
            .ok_or_else(|| format!("--{key} is required"))?;
        raw.parse()
            .map_err(|_| format!("--{key}: cannot parse '{raw}'").into())
    }

    /// An option with a default.
    pub fn get<T: FromStr>(&self, key: &str, default: T) -> Res<T> {
        match self.0.get(key) {
            Some(_) => self.req(key),
            None => Ok(default),
        }
    }

    /// A comma-separated list.
    pub fn list<T: FromStr>(&self, key: &str, default: &str) -> Res<Vec<T>> {
        let raw = self.0.get(key).map(String::as_str).unwrap_or(default);
        raw.split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                s.trim()
                    .parse()
                    .map_err(|_| format!("--{key}: cannot parse '{s}'").into())
            })
            .collect()
    }
}
