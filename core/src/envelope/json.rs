//! A strict JSON reader and a small bounded writer, shared by the envelope and key modules.
//!
//! The reader accepts only I-JSON (RFC 7493): RFC 8259 syntax, no duplicate member names (compared
//! after unescaping), no unpaired surrogates, no byte order mark, and a bounded nesting depth.
//! Strings are decoded into zeroizing buffers because payload strings carry card data. Numbers
//! are kept as their source text, so the caller decides which forms it accepts.
//!
//! The writer exists so that the seal path needs no serde_json, and the browser build carries
//! only what it uses. It writes into a buffer of fixed capacity that never reallocates, so a
//! payload containing card data is never copied into memory that is freed without zeroizing.

use zeroize::Zeroizing;

/// Nesting limit for arrays and objects; the deepest document read here (a JWKS) has depth 3.
const MAX_DEPTH: usize = 8;

/// A parsed JSON value.
#[derive(Debug)]
pub(crate) enum Value<'a> {
    /// `true`, `false` or `null`: no member this crate reads takes one, so the value is dropped.
    Literal,
    /// The number's source text, valid by the RFC 8259 `number` rule.
    Number(&'a str),
    String(Zeroizing<String>),
    // Only JWKS reading looks inside arrays; the envelope rejects or ignores them whole.
    #[cfg_attr(not(feature = "jwk"), allow(dead_code))]
    Array(Vec<Value<'a>>),
    Object(Object<'a>),
}

/// A JSON object whose member names are unique, in document order.
#[derive(Debug, Default)]
pub(crate) struct Object<'a> {
    members: Vec<(String, Value<'a>)>,
}

impl<'a> Object<'a> {
    /// Returns the value of the member `name`, if present.
    pub(crate) fn get(&self, name: &str) -> Option<&Value<'a>> {
        self.members
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// Returns the member names in document order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(|(key, _)| key.as_str())
    }
}

impl<'a> Value<'a> {
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text.as_str()),
            _ => None,
        }
    }

    pub(crate) fn as_object(&self) -> Option<&Object<'a>> {
        match self {
            Value::Object(object) => Some(object),
            _ => None,
        }
    }

    #[cfg_attr(not(feature = "jwk"), allow(dead_code))]
    pub(crate) fn as_array(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// Returns the value as an unsigned integer if its source text is a plain non-negative
    /// integer (digits only, no sign, fraction or exponent) no greater than `max`.
    pub(crate) fn as_plain_u64(&self, max: u64) -> Option<u64> {
        let Value::Number(text) = self else {
            return None;
        };
        if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        let mut value: u64 = 0;
        for byte in text.bytes() {
            value = value.checked_mul(10)?.checked_add(u64::from(byte - b'0'))?;
        }
        (value <= max).then_some(value)
    }
}

/// A rejection of a JSON document. Callers map every kind to their own error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JsonError {
    /// Not RFC 8259 JSON, or an unpaired surrogate, or a byte order mark.
    Syntax,
    /// An object repeats a member name.
    DuplicateMember,
    /// Arrays and objects nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// Parses `text` as one I-JSON value surrounded by optional whitespace.
pub(crate) fn parse(text: &str) -> Result<Value<'_>, JsonError> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };

    reader.skip_whitespace();
    let value = reader.value(0)?;
    reader.skip_whitespace();

    if reader.pos != reader.bytes.len() {
        return Err(JsonError::Syntax);
    }
    Ok(value)
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn expect(&mut self, byte: u8) -> Result<(), JsonError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(JsonError::Syntax)
        }
    }

    /// Skips the four whitespace characters of RFC 8259 section 2, and nothing else.
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>, JsonError> {
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(JsonError::Syntax),
        }
    }

    fn literal(&mut self, word: &str) -> Result<Value<'a>, JsonError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(Value::Literal)
        } else {
            Err(JsonError::Syntax)
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value<'a>, JsonError> {
        if depth > MAX_DEPTH {
            return Err(JsonError::TooDeep);
        }
        self.expect(b'{')?;
        let mut object = Object::default();

        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(object));
        }

        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(JsonError::Syntax);
            }
            // Member names are not secret: keep them as plain strings.
            let name = String::from(self.string()?.as_str());
            self.skip_whitespace();
            self.expect(b':')?;
            self.skip_whitespace();
            let value = self.value(depth)?;

            // RFC 7493 section 2.3: names compared after unescaping must be unique.
            if object.get(&name).is_some() {
                return Err(JsonError::DuplicateMember);
            }
            object.members.push((name, value));

            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(object));
                }
                _ => return Err(JsonError::Syntax),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value<'a>, JsonError> {
        if depth > MAX_DEPTH {
            return Err(JsonError::TooDeep);
        }
        self.expect(b'[')?;
        let mut items = Vec::new();

        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }

        loop {
            self.skip_whitespace();
            items.push(self.value(depth)?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(JsonError::Syntax),
            }
        }
    }

    /// Reads `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` and returns its text.
    fn number(&mut self) -> Result<Value<'a>, JsonError> {
        let start = self.pos;

        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(JsonError::Syntax),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.required_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.required_digits()?;
        }

        Ok(Value::Number(&self.text[start..self.pos]))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn required_digits(&mut self) -> Result<(), JsonError> {
        let start = self.pos;
        self.digits();
        if self.pos == start {
            Err(JsonError::Syntax)
        } else {
            Ok(())
        }
    }

    /// Reads a string token and returns its unescaped text.
    fn string(&mut self) -> Result<Zeroizing<String>, JsonError> {
        self.expect(b'"')?;
        let start = self.pos;

        // Find the closing quote first so that the output is allocated once, at its final
        // capacity: unescaping only shrinks the text, and a buffer that never grows leaves no
        // copies of card data behind in freed memory.
        let mut end = start;
        loop {
            match self.bytes.get(end) {
                None => return Err(JsonError::Syntax),
                Some(b'"') => break,
                Some(b'\\') => end += 2,
                Some(_) => end += 1,
            }
        }
        if end > self.bytes.len() {
            return Err(JsonError::Syntax);
        }

        let mut out = Zeroizing::new(String::with_capacity(end - start));
        let raw = &self.text[start..end];
        let mut chars = raw.chars();
        while let Some(ch) = chars.next() {
            match ch {
                '\\' => {
                    let decoded = unescape(&mut chars)?;
                    out.push(decoded);
                }
                // RFC 8259 section 7: control characters must be escaped.
                '\u{0}'..='\u{1f}' => return Err(JsonError::Syntax),
                _ => out.push(ch),
            }
        }

        self.pos = end + 1;
        Ok(out)
    }
}

/// Decodes one escape sequence after its backslash.
fn unescape(chars: &mut std::str::Chars<'_>) -> Result<char, JsonError> {
    let decoded = match chars.next().ok_or(JsonError::Syntax)? {
        '"' => '"',
        '\\' => '\\',
        '/' => '/',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'u' => {
            let high = hex4(chars)?;
            match high {
                0xD800..=0xDBFF => {
                    // A high surrogate must be followed by an escaped low surrogate
                    // (RFC 8259 section 7; unpaired surrogates are not I-JSON).
                    if chars.next() != Some('\\') || chars.next() != Some('u') {
                        return Err(JsonError::Syntax);
                    }
                    let low = hex4(chars)?;
                    if !(0xDC00..=0xDFFF).contains(&low) {
                        return Err(JsonError::Syntax);
                    }
                    let scalar = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                    char::from_u32(scalar).ok_or(JsonError::Syntax)?
                }
                0xDC00..=0xDFFF => return Err(JsonError::Syntax),
                _ => char::from_u32(high).ok_or(JsonError::Syntax)?,
            }
        }
        _ => return Err(JsonError::Syntax),
    };
    Ok(decoded)
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Result<u32, JsonError> {
    let mut value = 0;
    for _ in 0..4 {
        let digit = chars
            .next()
            .and_then(|ch| ch.to_digit(16))
            .ok_or(JsonError::Syntax)?;
        value = value * 16 + digit;
    }
    Ok(value)
}

/// The writer ran out of the capacity it was created with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CapacityExceeded;

/// Writes one flat JSON object (string and integer members) into a buffer of fixed capacity.
///
/// The output has no whitespace and members in call order. Strings are escaped as RFC 8259
/// section 7 requires: `"` and `\` with a backslash, control characters as `\u00XX`. All other
/// characters, non-ASCII included, are written as UTF-8.
pub(crate) struct ObjectWriter {
    out: Zeroizing<Vec<u8>>,
    members: usize,
}

impl ObjectWriter {
    /// Starts an object in a buffer that never grows beyond `capacity` bytes.
    pub(crate) fn new(capacity: usize) -> Self {
        let mut out = Zeroizing::new(Vec::with_capacity(capacity));
        out.push(b'{');
        ObjectWriter { out, members: 0 }
    }

    pub(crate) fn string(&mut self, name: &str, value: &str) -> Result<(), CapacityExceeded> {
        self.name(name)?;
        self.quoted(value)
    }

    pub(crate) fn integer(&mut self, name: &str, value: u64) -> Result<(), CapacityExceeded> {
        self.name(name)?;
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        let mut rest = value;
        loop {
            start -= 1;
            // The remainder is below 10, so the cast keeps its value.
            digits[start] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        self.raw(&digits[start..])
    }

    /// Closes the object and returns its bytes.
    pub(crate) fn finish(mut self) -> Result<Zeroizing<Vec<u8>>, CapacityExceeded> {
        self.raw(b"}")?;
        Ok(self.out)
    }

    fn name(&mut self, name: &str) -> Result<(), CapacityExceeded> {
        if self.members > 0 {
            self.raw(b",")?;
        }
        self.members += 1;
        self.quoted(name)?;
        self.raw(b":")
    }

    fn quoted(&mut self, text: &str) -> Result<(), CapacityExceeded> {
        self.raw(b"\"")?;
        for &byte in text.as_bytes() {
            match byte {
                b'"' => self.raw(b"\\\"")?,
                b'\\' => self.raw(b"\\\\")?,
                0x00..=0x1f => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    let escape = [
                        b'\\',
                        b'u',
                        b'0',
                        b'0',
                        HEX[usize::from(byte >> 4)],
                        HEX[usize::from(byte & 0xf)],
                    ];
                    self.raw(&escape)?;
                }
                _ => self.raw(&[byte])?,
            }
        }
        self.raw(b"\"")
    }

    fn raw(&mut self, bytes: &[u8]) -> Result<(), CapacityExceeded> {
        if self.out.len() + bytes.len() > self.out.capacity() {
            return Err(CapacityExceeded);
        }
        self.out.extend_from_slice(bytes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flat_object() {
        let value = parse(r#" {"a":"x","b":12,"c":[true,false,null],"d":{}} "#).unwrap();
        let object = value.as_object().unwrap();
        assert_eq!(object.get("a").unwrap().as_str(), Some("x"));
        assert_eq!(object.get("b").unwrap().as_plain_u64(u64::MAX), Some(12));
        assert_eq!(object.get("c").unwrap().as_array().unwrap().len(), 3);
        assert_eq!(object.names().collect::<Vec<_>>(), ["a", "b", "c", "d"]);
    }

    #[test]
    fn rejects_duplicate_after_unescaping() {
        assert_eq!(
            parse(r#"{"alg":1,"al\u0067":2}"#).unwrap_err(),
            JsonError::DuplicateMember
        );
        assert_eq!(
            parse(r#"{"a":{"b":1,"b":2}}"#).unwrap_err(),
            JsonError::DuplicateMember
        );
    }

    #[test]
    fn decodes_escapes_and_surrogate_pairs() {
        let value = parse(r#""\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#).unwrap();
        assert_eq!(value.as_str(), Some("\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{1f600}"));
    }

    #[test]
    fn rejects_invalid_documents() {
        let cases = [
            "",
            " ",
            "{",
            "{}}",
            "{} {}",
            "\u{feff}{}",
            "{'a':1}",
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            "[1,]",
            "01",
            "1.",
            ".5",
            "1e",
            "+1",
            "-",
            "tru",
            "nulll",
            "\"\u{1}\"",
            "\"\\x\"",
            r#""\ud800""#,
            r#""\udc00""#,
            r#""\ud800\u0041""#,
            r#""\u12""#,
            "\"abc",
            "\"abc\\\"",
            "{\"a\":1}\u{a0}",
        ];
        for case in cases {
            assert!(parse(case).is_err(), "accepted {case:?}");
        }
    }

    #[test]
    fn limits_depth() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(&deep).unwrap_err(), JsonError::TooDeep);
        let very_deep = "[".repeat(100_000);
        assert_eq!(parse(&very_deep).unwrap_err(), JsonError::TooDeep);
    }

    #[test]
    fn plain_integers_only() {
        for (text, expected) in [
            ("0", Some(0)),
            ("42", Some(42)),
            ("-1", None),
            ("1.0", None),
        ] {
            assert_eq!(parse(text).unwrap().as_plain_u64(100), expected, "{text}");
        }
        assert_eq!(parse("1e2").unwrap().as_plain_u64(1000), None);
        assert_eq!(parse("101").unwrap().as_plain_u64(100), None);
        assert_eq!(
            parse("99999999999999999999999")
                .unwrap()
                .as_plain_u64(u64::MAX),
            None
        );
    }

    #[test]
    fn writer_escapes_and_bounds() {
        let mut writer = ObjectWriter::new(64);
        writer.string("a", "q\"b\\c\u{1}\u{e9}").unwrap();
        writer.integer("n", 1_767_225_600).unwrap();
        writer.integer("z", 0).unwrap();
        let out = writer.finish().unwrap();
        let text = std::str::from_utf8(&out).unwrap();
        assert_eq!(
            text,
            "{\"a\":\"q\\\"b\\\\c\\u0001\u{e9}\",\"n\":1767225600,\"z\":0}"
        );

        let round = parse(text).unwrap();
        assert_eq!(
            round.as_object().unwrap().get("a").unwrap().as_str(),
            Some("q\"b\\c\u{1}\u{e9}")
        );

        let mut small = ObjectWriter::new(8);
        assert_eq!(small.string("name", "value"), Err(CapacityExceeded));
    }

    #[test]
    fn writer_never_reallocates() {
        let mut writer = ObjectWriter::new(32);
        let pointer = writer.out.as_ptr();
        writer.string("k", "0123456789").unwrap();
        assert!(writer.string("k2", "0123456789").is_err());
        assert_eq!(writer.out.as_ptr(), pointer);
    }
}
