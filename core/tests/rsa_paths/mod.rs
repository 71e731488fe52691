//! Finds paths into the `rsa` crate that name a private-key or decryption item, in Rust source.
//!
//! The scan works on tokens, after dropping comments, string literals and character literals.
//! So a path counts however it is spelled: `rsa::PrivateKey`, a grouped import such as
//! `use rsa::{oaep::DecryptingKey, Oaep}` or a leading `::rsa`. It also counts through a name
//! that a `use` brought in from `rsa` (`use rsa::oaep; oaep::DecryptingKey::new(..)`) and
//! through an alias (`use rsa as r;`, `extern crate rsa as r;`). A glob import from `rsa` is reported too,
//! because it can bring in anything. Paths that pass through another crate's `rsa` module,
//! such as `aws_lc_rs::rsa::PrivateDecryptingKey`, are not the `rsa` crate and are not reported.
//!
//! NOTE: a dependency renamed in Cargo.toml (`other = { package = "rsa" }`) is invisible here;
//! the caller checks the manifests for that.

/// Tells whether a path segment names a private-key or decryption item of the `rsa` crate:
/// `PrivateKey`, `RsaPrivateKey`, `DecodePrivateKey`, `DecryptingKey`, `Decryptor`,
/// `RandomizedDecryptor`, the `hazmat` module and the like.
fn is_forbidden_segment(segment: &str) -> bool {
    let lower = segment.to_ascii_lowercase();
    lower.contains("private") || lower.contains("decrypt") || lower == "hazmat"
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Ident(String),
    /// The path separator `::`.
    PathSeparator,
    Punct(char),
}

impl Token {
    fn ident(&self) -> Option<&str> {
        match self {
            Token::Ident(name) => Some(name),
            _ => None,
        }
    }
}

/// Splits Rust source into identifiers, `::` and other punctuation, dropping whitespace,
/// comments, literals and numbers.
fn tokenize(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;

    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();

        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i = skip_block_comment(&chars, i);
        } else if c == '"' {
            i = skip_string(&chars, i + 1);
        } else if c == '\'' {
            i = skip_char_literal(&chars, i);
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();

            // Raw strings (r"..", r#".."#, br"..", cr"..") and raw identifiers (r#type).
            if matches!(word.as_str(), "r" | "br" | "cr") {
                let hashes = chars[i..].iter().take_while(|&&c| c == '#').count();
                if chars.get(i + hashes) == Some(&'"') {
                    i = skip_raw_string(&chars, i + hashes + 1, hashes);
                    continue;
                }
                if word == "r" && hashes == 1 {
                    i += 1;
                    continue;
                }
            }
            tokens.push(Token::Ident(word));
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
        } else if c == ':' && next == Some(':') {
            tokens.push(Token::PathSeparator);
            i += 2;
        } else {
            tokens.push(Token::Punct(c));
            i += 1;
        }
    }
    tokens
}

/// Returns the index after a block comment starting at `start`; block comments nest.
fn skip_block_comment(chars: &[char], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i < chars.len() {
        if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
            depth += 1;
            i += 2;
        } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    i
}

/// Returns the index after the closing quote of a string whose body starts at `start`.
fn skip_string(chars: &[char], start: usize) -> usize {
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// Returns the index after a raw string whose body starts at `start` and ends with `"` and
/// `hashes` number signs.
fn skip_raw_string(chars: &[char], start: usize, hashes: usize) -> usize {
    let mut i = start;
    while i < chars.len() {
        let closes = chars[i] == '"'
            && chars[i + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == '#')
                .count()
                == hashes;
        if closes {
            return i + 1 + hashes;
        }
        i += 1;
    }
    i
}

/// Returns the index after a character literal at `start` (`'a'`, `'\n'`, `'\u{30FB}'`), or
/// after the quote alone when it starts a lifetime or label (`'a`, `'static`).
fn skip_char_literal(chars: &[char], start: usize) -> usize {
    if chars.get(start + 1) == Some(&'\\') {
        let mut i = start + 2;
        while i < chars.len() && chars[i] != '\'' {
            i += 1;
        }
        return i + 1;
    }
    if chars.get(start + 2) == Some(&'\'') {
        return start + 3;
    }
    start + 1
}

/// One path of a `use` declaration, with the name it brings into scope.
#[derive(Debug)]
struct UsePath {
    segments: Vec<String>,
    /// The name the path is bound to (its last segment, or the alias after `as`); `None` for a
    /// glob import.
    binding: Option<String>,
}

/// Parses the use tree starting at `start` into `paths`, each prefixed by `prefix`, and
/// returns the index after it.
fn parse_use_tree(
    tokens: &[Token],
    start: usize,
    prefix: &[String],
    paths: &mut Vec<UsePath>,
) -> usize {
    let mut segments = prefix.to_vec();
    let mut i = start;
    if tokens.get(i) == Some(&Token::PathSeparator) {
        i += 1;
    }

    loop {
        match tokens.get(i) {
            Some(Token::Ident(name)) => {
                segments.push(name.clone());
                i += 1;
                if tokens.get(i) == Some(&Token::PathSeparator) {
                    i += 1;
                    continue;
                }

                // `use a::b::{self}` binds `b`.
                let mut binding = segments
                    .iter()
                    .rev()
                    .find(|segment| *segment != "self")
                    .cloned();
                if tokens.get(i).and_then(Token::ident) == Some("as") {
                    binding = tokens.get(i + 1).and_then(Token::ident).map(str::to_owned);
                    i += 2;
                }
                paths.push(UsePath { segments, binding });
                return i;
            }
            Some(Token::Punct('*')) => {
                paths.push(UsePath {
                    segments,
                    binding: None,
                });
                return i + 1;
            }
            Some(Token::Punct('{')) => {
                i += 1;
                while i < tokens.len() {
                    match tokens.get(i) {
                        Some(Token::Punct('}')) => return i + 1,
                        Some(Token::Punct(',')) => i += 1,
                        _ => i = parse_use_tree(tokens, i, &segments, paths),
                    }
                }
                return i;
            }
            // Not a use tree this scanner understands: stop at this token.
            _ => return i + 1,
        }
    }
}

/// Returns every forbidden path into the `rsa` crate in `source`, written as `a::b::c`.
pub fn forbidden_rsa_paths(source: &str) -> Vec<String> {
    let tokens = tokenize(source);

    // Use declarations, and the token ranges they cover.
    let mut use_paths = Vec::new();
    let mut use_ranges = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].ident() == Some("use") {
            let end = parse_use_tree(&tokens, i + 1, &[], &mut use_paths);
            use_ranges.push(i..end);
            i = end;
        } else {
            i += 1;
        }
    }

    // Names that stand for the `rsa` crate or for something inside it. A `use` from one of
    // them adds its binding, and `use` may build on an earlier one, so repeat until stable.
    let mut roots = vec!["rsa".to_owned()];
    for window in tokens.windows(5) {
        if let [
            Token::Ident(extern_),
            Token::Ident(crate_),
            Token::Ident(name),
            Token::Ident(as_),
            Token::Ident(alias),
        ] = window
            && extern_ == "extern"
            && crate_ == "crate"
            && name == "rsa"
            && as_ == "as"
        {
            roots.push(alias.clone());
        }
    }
    loop {
        let added: Vec<String> = use_paths
            .iter()
            .filter(|path| roots.contains(&path.segments[0]))
            .filter_map(|path| path.binding.clone())
            .filter(|binding| binding != "_" && !roots.contains(binding))
            .collect();
        if added.is_empty() {
            break;
        }
        roots.extend(added);
    }

    let mut found = Vec::new();
    for path in &use_paths {
        if !roots.contains(&path.segments[0]) {
            continue;
        }
        if path.binding.is_none() {
            found.push(format!("{}::*", path.segments.join("::")));
        } else if path
            .segments
            .iter()
            .any(|segment| is_forbidden_segment(segment))
        {
            found.push(path.segments.join("::"));
        }
    }

    // Paths in expressions, types and attributes: a root that starts a path, followed by `::`.
    for (index, token) in tokens.iter().enumerate() {
        let Some(name) = token.ident() else { continue };
        let inside_use = use_ranges.iter().any(|range| range.contains(&index));
        let continues_a_path = index >= 2
            && tokens[index - 1] == Token::PathSeparator
            && tokens[index - 2].ident().is_some();
        if inside_use || continues_a_path || !roots.iter().any(|root| root == name) {
            continue;
        }

        let mut segments = vec![name.to_owned()];
        let mut next = index + 1;
        while tokens.get(next) == Some(&Token::PathSeparator) {
            let Some(segment) = tokens.get(next + 1).and_then(Token::ident) else {
                break;
            };
            segments.push(segment.to_owned());
            next += 2;
        }
        if segments.len() > 1 && segments.iter().any(|segment| is_forbidden_segment(segment)) {
            found.push(segments.join("::"));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::forbidden_rsa_paths;

    #[test]
    fn plain_paths_are_found() {
        for source in [
            "fn f(k: rsa::PrivateKey) {}",
            "let key = rsa::RsaPrivateKey::new(rng, 2048);",
            "let d = ::rsa::oaep::DecryptingKey::<Sha256>::new(key);",
            "impl Foo for Vec<rsa::hazmat::Thing> {}",
            "let x = <rsa::PrivateKey as Trait>::method();",
        ] {
            assert!(!forbidden_rsa_paths(source).is_empty(), "missed: {source}");
        }
    }

    #[test]
    fn grouped_imports_are_found() {
        for source in [
            "use rsa::{PrivateKey};",
            "use rsa::{BoxedUint, PrivateKey as Key};",
            "use rsa::oaep::{DecryptingKey};",
            "use rsa::{oaep::{self, DecryptingKey}, Oaep};",
            "use {rsa::pkcs8::DecodePrivateKey};",
            "pub(crate) use ::rsa::traits::{Decryptor, RandomizedDecryptor};",
            "use rsa::*;",
            "use rsa::traits::*;",
        ] {
            assert!(!forbidden_rsa_paths(source).is_empty(), "missed: {source}");
        }
    }

    #[test]
    fn paths_through_imported_names_are_found() {
        for source in [
            "use rsa::oaep; fn f() { oaep::DecryptingKey::new(k) }",
            "use rsa as r; fn f(k: r::PrivateKey) {}",
            "use rsa::{self as r}; fn f(k: r::PrivateKey) {}",
            "extern crate rsa as r; fn f(k: r::PrivateKey) {}",
            "use rsa::oaep as padding; use padding::DecryptingKey;",
        ] {
            assert!(!forbidden_rsa_paths(source).is_empty(), "missed: {source}");
        }
    }

    #[test]
    fn encryption_and_other_crates_pass() {
        for source in [
            "use rsa::{BoxedUint, Oaep, sha2::Sha256};",
            "let key = rsa::PublicKey::new(n, e)?; key.encrypt(rng, rsa::Oaep::<rsa::sha2::Sha256>::new(), m)",
            "use aws_lc_rs::rsa::{OaepPrivateDecryptingKey, PrivateDecryptingKey};",
            "use aws_lc_rs::{rsa::PrivateDecryptingKey};",
            "let k = aws_lc_rs::rsa::PrivateDecryptingKey::from_pkcs8(der);",
            "fn rsa(&self) -> &rsa::PublicKey { &self.rsa }",
            "// rsa::PrivateKey is never used\nlet s = \"rsa::PrivateKey\"; let r = r#\"rsa::{PrivateKey}\"#;",
            "/* rsa::PrivateKey /* nested */ rsa::hazmat */ let c = '\"'; let l: &'static str = \"\";",
            "use crate::key::PrivateKey; let k = PrivateKey::from_pkcs8_pem(pem, kid);",
        ] {
            assert_eq!(
                forbidden_rsa_paths(source),
                Vec::<String>::new(),
                "source: {source}"
            );
        }
    }
}
