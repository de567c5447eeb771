//! ES's request circuit breaker, for what one request gathers into its answer: each search adds the
//! `_source` bytes of its hits, `_msearch` the length of its answers so far. Past the limit
//! (`StoreSettings::request_breaker_bytes`, ES's `indices.breaker.request.limit`) the request fails with
//! ES's 429 `circuit_breaking_exception`, which clients retry with a smaller request, instead of the
//! store holding an answer of any size in memory.

/// What a request may gather, and what it has gathered so far.
#[derive(Debug)]
pub struct RequestBreaker {
    /// Names what is measured, as ES's message does (`<msearch_response>`).
    label: &'static str,
    limit: usize,
    used: usize,
}

/// The breaker tripped: the request would hold `would_be` bytes, more than `limit`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "[request] Data too large, data for [{label}] would be [{would_be}/{}], which is larger than the \
     limit of [{limit}/{}]",
    human_bytes(*would_be),
    human_bytes(*limit)
)]
pub struct DataTooLarge {
    pub label: &'static str,
    pub would_be: usize,
    pub limit: usize,
}

impl RequestBreaker {
    pub fn new(label: &'static str, limit: usize) -> RequestBreaker {
        RequestBreaker {
            label,
            limit,
            used: 0,
        }
    }

    /// Adds `bytes` to what the request holds; past the limit, the error to fail it with.
    pub fn add(&mut self, bytes: usize) -> Result<(), DataTooLarge> {
        self.set(self.used.saturating_add(bytes))
    }

    /// Sets what the request holds to `bytes` (for a buffer that grows); past the limit, the error.
    pub fn set(&mut self, bytes: usize) -> Result<(), DataTooLarge> {
        self.used = bytes;
        if bytes > self.limit {
            return Err(DataTooLarge {
                label: self.label,
                would_be: bytes,
                limit: self.limit,
            });
        }
        Ok(())
    }
}

/// Bytes as ES writes them in breaker messages (`100mb`, `1.5gb`).
pub fn human_bytes(n: usize) -> String {
    const UNITS: [&str; 4] = ["b", "kb", "mb", "gb"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.1}");
    format!("{}{}", text.trim_end_matches(".0"), UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_as_es_writes_them() {
        assert_eq!(human_bytes(100 * 1024 * 1024), "100mb");
        assert_eq!(human_bytes(1536), "1.5kb");
        assert_eq!(human_bytes(12), "12b");
    }

    #[test]
    fn trips_past_the_limit_only() {
        let mut breaker = RequestBreaker::new("<test>", 1024);
        assert_eq!(breaker.add(1000), Ok(()));
        assert_eq!(breaker.add(24), Ok(()));
        let err = breaker.add(1);
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err(
                "[request] Data too large, data for [<test>] would be [1025/1kb], which is larger \
                 than the limit of [1024/1kb]"
                    .to_string()
            )
        );
    }
}
