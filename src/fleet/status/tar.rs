//! The one file of a tar stream, as the Docker Engine's archive endpoint
//! answers for a file's path: ustar headers of 512 bytes, the content
//! padded to 512; GNU long names and pax headers come before the entry
//! and are passed over.

/// The content of the first regular file of `tar`, or why there is none.
pub fn first_file(tar: &[u8]) -> Result<Vec<u8>, String> {
    let mut at = 0;
    while at + 512 <= tar.len() {
        let header = &tar[at..at + 512];
        if header.iter().all(|&b| b == 0) {
            break;
        }
        let size = octal(&header[124..136]).ok_or("a tar header with a size that is no number")?;
        let start = at + 512;
        let end = start
            .checked_add(size)
            .filter(|end| *end <= tar.len())
            .ok_or("a tar entry longer than the answer")?;
        match header[156] {
            b'0' | 0 => return Ok(tar[start..end].to_vec()),
            // Long names, pax headers: the entry follows.
            b'L' | b'K' | b'x' | b'g' => {}
            b'2' => return Err("a symbolic link, not a file".into()),
            b'5' => return Err("a directory, not a file".into()),
            other => {
                return Err(format!(
                    "a tar entry of type {:?}, not a file",
                    other as char
                ));
            }
        }
        at = start + size.div_ceil(512) * 512;
    }
    Err("no file in the answer".into())
}

/// A tar number: octal digits, blanks and NULs around them.
fn octal(field: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(field).ok()?;
    let digits = text.trim_matches(|c: char| c == '\0' || c == ' ');
    if digits.is_empty() {
        return Some(0);
    }
    usize::from_str_radix(digits, 8).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One entry: a header of `kind` and `content`, padded.
    pub(crate) fn entry(name: &str, kind: u8, content: &[u8]) -> Vec<u8> {
        let mut header = vec![0u8; 512];
        header[..name.len()].copy_from_slice(name.as_bytes());
        let size = format!("{:011o}\0", content.len());
        header[124..136].copy_from_slice(size.as_bytes());
        header[156] = kind;
        let mut out = header;
        out.extend_from_slice(content);
        out.resize(out.len().div_ceil(512) * 512, 0);
        out
    }

    #[test]
    fn the_file_is_found_after_a_pax_header() {
        let mut tar = entry("PaxHeaders/x", b'x', b"30 path=a-very-long-name.conf\n");
        tar.extend(entry("x", b'0', b"hello\n"));
        tar.extend(vec![0u8; 1024]);
        assert_eq!(first_file(&tar).unwrap(), b"hello\n");
    }

    #[test]
    fn what_is_not_a_file_is_said() {
        assert!(
            first_file(&entry("d", b'5', b""))
                .unwrap_err()
                .contains("directory")
        );
        assert!(
            first_file(&entry("l", b'2', b""))
                .unwrap_err()
                .contains("link")
        );
        assert!(first_file(&[]).unwrap_err().contains("no file"));
        let mut cut = entry("x", b'0', &[b'a'; 600]);
        cut.truncate(700);
        assert!(first_file(&cut).unwrap_err().contains("longer"));
        let mut bad = entry("x", b'0', b"a");
        bad[124] = b'9';
        assert!(first_file(&bad).unwrap_err().contains("no number"));
    }
}
