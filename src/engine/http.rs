//! One HTTP/1.1 GET and its answer, read within bounds: the head at most
//! 64 KiB, the body at most the engine's limit whether it comes with a
//! length, in chunks or until the connection closes.

use std::io::{BufRead, BufReader, Read, Write};

use super::{Error, io_error};

/// The most a head (status line and headers) may take.
const MOST_HEAD: usize = 64 * 1024;
/// The most of an error's body that is read: its message is all that is
/// said of it.
const MOST_ERROR: usize = 64 * 1024;

pub struct Request<'a> {
    pub path: &'a str,
    pub host: String,
    pub most: usize,
}

pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    /// Whether the body is the first part of a longer one (an error's).
    pub cut: bool,
}

impl Request<'_> {
    /// Sends the request on `stream` and reads the answer.
    pub fn exchange<S: Read + Write>(&self, mut stream: S) -> Result<Answer, Error> {
        let head = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: panteras/{}\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
            self.path,
            self.host,
            env!("CARGO_PKG_VERSION")
        );
        stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.flush())
            .map_err(|e| io_error(e, "cannot send the request"))?;
        let mut reader = BufReader::new(stream);
        let (status, framing) = self.read_head(&mut reader)?;
        let most = if (200..300).contains(&status) {
            self.most
        } else {
            MOST_ERROR
        };
        let body = match &framing {
            Framing::Length(n) if *n > most as u64 && most == self.most => {
                return Err(Error::TooLarge(self.most));
            }
            Framing::Length(n) => read_at_most(&mut reader, (*n).min(most as u64), true)?,
            Framing::Chunked => read_chunked(&mut reader, most, most == self.most)?,
            Framing::Close => {
                let mut body = read_at_most(&mut reader, most as u64 + 1, false)?;
                if body.len() > most && most == self.most {
                    return Err(Error::TooLarge(self.most));
                }
                body.truncate(most);
                body
            }
        };
        let cut = match framing {
            Framing::Length(n) => n > body.len() as u64,
            Framing::Chunked | Framing::Close => body.len() == most,
        };
        Ok(Answer { status, body, cut })
    }

    fn read_head<R: BufRead>(&self, reader: &mut R) -> Result<(u16, Framing), Error> {
        let mut head = Vec::new();
        loop {
            let before = head.len();
            let n = reader
                .by_ref()
                .take((MOST_HEAD + 1 - before) as u64)
                .read_until(b'\n', &mut head)
                .map_err(|e| io_error(e, "cannot read the answer"))?;
            if n == 0 {
                return Err(Error::Unreachable(if head.is_empty() {
                    "the connection was closed without an answer (is it the engine, and does \
                     it speak TLS where panteras does not, or the other way round?)"
                        .to_string()
                } else {
                    "the connection was closed in the middle of the answer's head".to_string()
                }));
            }
            if head.len() > MOST_HEAD {
                return Err(Error::Unreadable(format!(
                    "an answer whose head is longer than {MOST_HEAD} bytes"
                )));
            }
            if head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") {
                break;
            }
        }
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(&head) {
            Ok(httparse::Status::Complete(_)) => {}
            Ok(httparse::Status::Partial) | Err(_) => {
                return Err(Error::Unreadable(
                    "an answer that is not HTTP/1.1 (is DOCKER_HOST the engine?)".to_string(),
                ));
            }
        }
        let status = response.code.unwrap_or_default();
        let header = |name: &str| {
            response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase())
        };
        let framing = if header("transfer-encoding").is_some_and(|v| v.ends_with("chunked")) {
            Framing::Chunked
        } else if let Some(length) = header("content-length") {
            Framing::Length(length.parse().map_err(|_| {
                Error::Unreadable(format!("an answer with Content-Length {length}"))
            })?)
        } else {
            Framing::Close
        };
        Ok((status, framing))
    }
}

/// How the body's end is known.
enum Framing {
    Length(u64),
    Chunked,
    Close,
}

/// At most `n` bytes; with `exact`, exactly `n` or the connection broke.
fn read_at_most<R: Read>(reader: &mut R, n: u64, exact: bool) -> Result<Vec<u8>, Error> {
    let mut body = Vec::new();
    reader
        .take(n)
        .read_to_end(&mut body)
        .map_err(|e| io_error(e, "cannot read the answer"))?;
    if exact && (body.len() as u64) < n {
        return Err(Error::Unreachable(
            "the connection was closed in the middle of the answer".to_string(),
        ));
    }
    Ok(body)
}

/// A chunked body, at most `most` bytes of it; past them an error when
/// `strict`, else what was read.
fn read_chunked<R: BufRead>(reader: &mut R, most: usize, strict: bool) -> Result<Vec<u8>, Error> {
    let mut body = Vec::new();
    loop {
        let mut line = Vec::new();
        reader
            .by_ref()
            .take(1024)
            .read_until(b'\n', &mut line)
            .map_err(|e| io_error(e, "cannot read the answer"))?;
        let text = String::from_utf8_lossy(&line);
        let size = text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| {
            if line.is_empty() {
                Error::Unreachable(
                    "the connection was closed in the middle of the answer".to_string(),
                )
            } else {
                Error::Unreadable("an answer in chunks that are not HTTP's".to_string())
            }
        })?;
        if size == 0 {
            return Ok(body);
        }
        if body.len().saturating_add(size) > most {
            if strict {
                return Err(Error::TooLarge(most));
            }
            let left = (most - body.len()) as u64;
            body.extend(read_at_most(reader, left, false)?);
            return Ok(body);
        }
        body.extend(read_at_most(reader, size as u64, true)?);
        let mut end = [0u8; 2];
        reader
            .read_exact(&mut end)
            .map_err(|e| io_error(e, "cannot read the answer"))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(most: usize) -> Request<'static> {
        Request {
            path: "/x",
            host: "docker".into(),
            most,
        }
    }

    /// A stream that answers `answer` and swallows the request.
    struct Canned(std::io::Cursor<Vec<u8>>);

    impl Read for Canned {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.0.read(buf)
        }
    }

    impl Write for Canned {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn answer(most: usize, text: &[u8]) -> Result<Answer, Error> {
        request(most).exchange(Canned(std::io::Cursor::new(text.to_vec())))
    }

    #[test]
    fn bodies_by_length_chunks_and_close_are_read() {
        let by_length = answer(100, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]").unwrap();
        assert_eq!((by_length.status, by_length.body), (200, b"[]".to_vec()));
        let chunked = answer(
            100,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\n[1,\r\n2\r\n2]\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(chunked.body, b"[1,2]");
        let closed = answer(100, b"HTTP/1.1 200 OK\r\n\r\n{}").unwrap();
        assert_eq!(closed.body, b"{}");
    }

    #[test]
    fn a_body_past_the_limit_is_refused_however_it_comes() {
        let big = "x".repeat(50);
        for text in [
            format!("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{big}"),
            format!(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n{}\r\n20\r\n{}\r\n0\r\n\r\n",
                &big[..32],
                "y".repeat(32)
            ),
            format!("HTTP/1.1 200 OK\r\n\r\n{big}"),
        ] {
            assert!(
                matches!(answer(40, text.as_bytes()), Err(Error::TooLarge(40))),
                "{text}"
            );
        }
    }

    #[test]
    fn an_error_body_is_cut_not_refused() {
        let text = format!(
            "HTTP/1.1 500 Oops\r\nContent-Length: {}\r\n\r\n{}",
            MOST_ERROR + 10,
            "e".repeat(MOST_ERROR + 10)
        );
        let said = answer(10, text.as_bytes()).unwrap();
        assert_eq!(said.status, 500);
        assert_eq!(said.body.len(), MOST_ERROR);
        assert!(said.cut);
    }

    #[test]
    fn broken_and_foreign_answers_are_told_apart() {
        assert!(matches!(answer(10, b""), Err(Error::Unreachable(_))));
        assert!(matches!(
            answer(10, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n[]"),
            Err(Error::Unreachable(_))
        ));
        assert!(matches!(
            answer(10, b"SSH-2.0-OpenSSH\r\n\r\n"),
            Err(Error::Unreadable(_))
        ));
        let long_head = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "h".repeat(MOST_HEAD));
        assert!(matches!(
            answer(10, long_head.as_bytes()),
            Err(Error::Unreadable(_))
        ));
    }
}
