//! Finds the JSON path (`$.jobs[0].start-time`) at the line/column serde_json reports for a data
//! error, so a `BadJson` message names the field that did not fit.

enum Frame {
    Object {
        key: Option<String>,
        expecting_key: bool,
    },
    Array {
        index: usize,
    },
}

/// The path of the value at 1-based `line`/`column` (as `serde_json::Error` counts them, in
/// bytes), or `None` when the position is not inside the text.
pub(crate) fn path_at(text: &str, line: usize, column: usize) -> Option<String> {
    if line == 0 {
        return None;
    }
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let (mut cur_line, mut cur_col) = (1usize, 0usize);
    let mut i = 0usize;
    let mut stop_char: Option<u8> = None;
    let mut in_string = false;
    let mut escaped = false;
    let mut string_is_key = false;
    let mut string_buf: Vec<u8> = Vec::new();
    while i < bytes.len() {
        let b = bytes[i];
        // Position of this byte, 1-based.
        let (l, c) = (cur_line, cur_col + 1);
        if l > line || (l == line && c >= column) {
            stop_char = Some(b);
            break;
        }
        if b == b'\n' {
            cur_line += 1;
            cur_col = 0;
        } else {
            cur_col += 1;
        }
        i += 1;
        if in_string {
            if escaped {
                escaped = false;
                if string_is_key {
                    string_buf.push(b);
                }
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
                if string_is_key {
                    if let Some(Frame::Object { key, .. }) = stack.last_mut() {
                        *key = Some(String::from_utf8_lossy(&string_buf).into_owned());
                    }
                }
            } else if string_is_key {
                string_buf.push(b);
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                string_buf.clear();
                string_is_key = matches!(
                    stack.last(),
                    Some(Frame::Object {
                        expecting_key: true,
                        ..
                    })
                );
            }
            b'{' => stack.push(Frame::Object {
                key: None,
                expecting_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { expecting_key, .. }) => *expecting_key = true,
                None => {}
            },
            b':' => {
                if let Some(Frame::Object { expecting_key, .. }) = stack.last_mut() {
                    *expecting_key = false;
                }
            }
            _ => {}
        }
    }
    stop_char?;
    // At a closing bracket the error is about the container itself (e.g. a missing field).
    let depth = match stop_char {
        Some(b'}') | Some(b']') => stack.len().saturating_sub(1),
        _ => stack.len(),
    };
    let mut path = String::from("$");
    for (n, frame) in stack.iter().enumerate() {
        let last = n + 1 == stack.len();
        if n >= depth {
            break;
        }
        match frame {
            Frame::Object { key, expecting_key } => {
                if last && *expecting_key {
                    break;
                }
                if let Some(k) = key {
                    path.push('.');
                    path.push_str(k);
                }
            }
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_path<T: serde::de::DeserializeOwned + std::fmt::Debug>(text: &str) -> Option<String> {
        let e = serde_json::from_str::<T>(text).expect_err("must fail");
        path_at(text, e.line(), e.column())
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Job {
        #[serde(rename = "start-time")]
        start_time: i64,
        name: String,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Jobs {
        jobs: Vec<Job>,
    }

    #[test]
    fn finds_the_field_with_the_wrong_type() {
        let text = r#"{"jobs":[{"start-time":1,"name":"a"},{"start-time":"x","name":"b"}]}"#;
        assert_eq!(
            err_path::<Jobs>(text).as_deref(),
            Some("$.jobs[1].start-time")
        );
        let pretty = "{\n  \"jobs\": [\n    {\"name\": \"a\", \"start-time\": true}\n  ]\n}";
        assert_eq!(
            err_path::<Jobs>(pretty).as_deref(),
            Some("$.jobs[0].start-time")
        );
    }

    #[test]
    fn missing_field_names_the_object() {
        let text = r#"{"jobs":[{"start-time":1}]}"#;
        assert_eq!(err_path::<Jobs>(text).as_deref(), Some("$.jobs[0]"));
    }

    #[test]
    fn escaped_keys() {
        let text = r#"{"a\"b":{"jobs":5}}"#;
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Outer {
            #[serde(rename = "a\"b")]
            inner: Jobs,
        }
        assert_eq!(err_path::<Outer>(text).as_deref(), Some("$.a\"b.jobs"));
    }
}
