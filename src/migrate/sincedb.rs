//! Logstash's file input `sincedb`: one line per file, `inode major minor offset [last_active path]`
//! (`last_active` in seconds since the epoch, with a fraction; the last two fields since file input 4.1).

use crate::tail::adopt::{OldPosition, OldPositions};
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

/// Adds the records of `text` (the sincedb at `path`) to `positions`; the 1-based numbers of lines that are
/// not records.
pub fn read(path: &Path, text: &str, positions: &mut OldPositions) -> Vec<usize> {
    let mut skipped = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let numbers = (
            fields.first().and_then(|f| f.parse::<u64>().ok()),
            fields.get(1).and_then(|f| f.parse::<u32>().ok()),
            fields.get(2).and_then(|f| f.parse::<u32>().ok()),
            fields.get(3).and_then(|f| f.parse::<u64>().ok()),
        );
        let (Some(ino), Some(major), Some(minor), Some(offset)) = numbers else {
            skipped.push(i + 1);
            continue;
        };
        let last_active = fields
            .get(4)
            .and_then(|f| f.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| UNIX_EPOCH + Duration::from_secs_f64(s));
        positions.insert(
            libc::makedev(major, minor),
            ino,
            OldPosition {
                offset,
                last_active,
                origin: format!("logstash sincedb {} line {}", path.display(), i + 1),
            },
        );
    }
    skipped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tail::adopt::Adoption;

    #[test]
    fn both_record_forms_are_read() {
        let text = "1234 0 2049 5000 1733200000.123 /var/log/app.log\n99 8 1 10\nnot a record\n";
        let mut p = OldPositions::default();
        let skipped = read(Path::new("/s"), text, &mut p);
        assert_eq!(skipped, vec![3]);
        assert_eq!(p.len(), 2);
        let dev = libc::makedev(0, 2049);
        assert!(matches!(
            p.decide(dev, 1234, 6000, None),
            Some(Adoption::Adopt { offset: 5000, origin }) if origin.contains("line 1")
        ));
        assert!(p.decide(libc::makedev(8, 1), 99, 10, None).is_some());
    }
}
