//! Compact JSON straight into a byte buffer, byte for byte what
//! `serde_json::to_writer` writes.
//!
//! `decode --json` spent about a fifth of its time in serde_json's string
//! escaping, which looks every byte up in a table and writes through
//! `io::Write`. Almost everything qcd prints is ASCII without a quote,
//! backslash or control character (keys, hex, names), so [`push_str`] checks
//! eight bytes at a time and copies clean runs whole. Numbers go through
//! `itoa`; floats, and anything this writer does not handle the way serde_json
//! does (a map key that is not a string, an integer or a bool, serde_json's
//! private raw-value and number types), are left to serde_json:
//! [`write_line`] then starts the line again with `serde_json::to_writer`,
//! so the output is serde_json's in every case. Tests hold the two equal on
//! every capture of `tests/data` and on arbitrary strings.

use serde::ser::{self, Impossible, Serialize};
use std::fmt;

/// Appends `value` as one compact JSON text to `out`, exactly as
/// `serde_json::to_writer` writes it (falling back to it where this writer
/// does not go). Errors are serde_json's (a `Serialize` impl that fails, a
/// map with keys JSON cannot have); `out` then keeps what it had before.
pub fn write_line<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> serde_json::Result<()> {
    let start = out.len();
    if value.serialize(Writer { out: &mut *out }).is_ok() {
        return Ok(());
    }
    out.truncate(start);
    let written = serde_json::to_writer(&mut *out, value);
    if written.is_err() {
        out.truncate(start);
    }
    written
}

/// Why this writer handed a value back to serde_json.
#[derive(Debug)]
struct Fallback;

impl fmt::Display for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("left to serde_json")
    }
}

impl std::error::Error for Fallback {}

impl ser::Error for Fallback {
    fn custom<M: fmt::Display>(_msg: M) -> Self {
        Fallback
    }
}

type Result<T = ()> = std::result::Result<T, Fallback>;

/// Bytes that JSON strings must escape, the way serde_json escapes them:
/// `"`, `\`, and the control characters below U+0020 (`\b`, `\t`, `\n`, `\f`,
/// `\r` by name, the rest as `\u00xx` with lowercase hex).
fn escape(b: u8) -> Option<u8> {
    match b {
        b'"' => Some(b'"'),
        b'\\' => Some(b'\\'),
        0x08 => Some(b'b'),
        0x09 => Some(b't'),
        0x0a => Some(b'n'),
        0x0c => Some(b'f'),
        0x0d => Some(b'r'),
        0x00..=0x1f => Some(b'u'),
        _ => None,
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether any of the eight bytes of `w` must be escaped (a control
/// character, `"` or `\`). Bytes of 0x80 and above never are.
#[inline]
fn needs_escape(w: u64) -> bool {
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
    (below_space | has_zero(w ^ (ONES * b'"' as u64)) | has_zero(w ^ (ONES * b'\\' as u64))) != 0
}

/// Whether `bytes` hold nothing JSON must escape: eight bytes at a time,
/// the last word overlapping the one before it; strings shorter than a word
/// byte by byte (a padded copy would stall on the store it was built with).
#[inline]
fn is_clean(bytes: &[u8]) -> bool {
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"));
    if bytes.len() < 8 {
        return bytes.iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\');
    }
    let mut at = 0;
    while at + 8 < bytes.len() {
        if needs_escape(word(at)) {
            return false;
        }
        at += 8;
    }
    !needs_escape(word(bytes.len() - 8))
}

/// Appends `s` as a JSON string, quotes included.
#[inline]
pub fn push_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if is_clean(bytes) {
        out.extend_from_slice(bytes);
    } else {
        push_escaped(out, bytes);
    }
    out.push(b'"');
}

/// The contents of a string that has something to escape.
#[cold]
fn push_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut clean = 0; // start of the run not yet copied
    for (i, &b) in bytes.iter().enumerate() {
        let Some(e) = escape(b) else { continue };
        out.extend_from_slice(&bytes[clean..i]);
        if e == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', e]);
        }
        clean = i + 1;
    }
    out.extend_from_slice(&bytes[clean..]);
}

fn push_int<I: itoa::Integer>(out: &mut Vec<u8>, v: I) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// serde_json's own types that carry text to be written verbatim.
fn is_serde_json_private(name: &str) -> bool {
    name.starts_with("$serde_json::private::")
}

/// The integer methods of a serializer: `itoa`'s digits handed to `$write`.
macro_rules! numbers {
    ($write:expr; $($method:ident: $t:ty),*) => {
        $(fn $method(self, v: $t) -> Result {
            let write: fn(&mut Vec<u8>, &[u8]) = $write;
            write(self.out, itoa::Buffer::new().format(v).as_bytes());
            Ok(())
        })*
    };
}

/// An array-like compound: elements separated by commas.
macro_rules! elements {
    ($trait:ident, $method:ident) => {
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Fallback;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
                self.element(value)
            }
            fn end(self) -> Result {
                Compound::end(self)
            }
        }
    };
}

/// An object-like compound with static keys.
macro_rules! fields {
    ($trait:ident) => {
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Fallback;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result {
                self.field(key, value)
            }
            fn end(self) -> Result {
                Compound::end(self)
            }
        }
    };
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

/// An array or object being written: whether the next element is the first.
struct Compound<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    /// What closes it: `]`, `}`, or `]}` / `}}` for a variant's content.
    close: &'static [u8],
}

impl Compound<'_> {
    fn comma(&mut self) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.comma();
        value.serialize(Writer { out: self.out })
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result {
        self.comma();
        push_str(self.out, key);
        self.out.push(b':');
        value.serialize(Writer { out: self.out })
    }

    fn end(self) -> Result {
        self.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl<'a> Writer<'a> {
    fn open(self, open: &[u8], close: &'static [u8]) -> Compound<'a> {
        self.out.extend_from_slice(open);
        Compound {
            out: self.out,
            first: true,
            close,
        }
    }

    /// `{"variant":` before a variant's content.
    fn variant(self, variant: &str) -> Writer<'a> {
        self.out.push(b'{');
        push_str(self.out, variant);
        self.out.push(b':');
        self
    }
}

impl<'a> ser::Serializer for Writer<'a> {
    type Ok = ();
    type Error = Fallback;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    numbers!(
        |out: &mut Vec<u8>, digits: &[u8]| out.extend_from_slice(digits);
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128
    );
    fn serialize_f32(self, v: f32) -> Result {
        serde_json::to_writer(self.out, &v).map_err(|_| Fallback)
    }
    fn serialize_f64(self, v: f64) -> Result {
        serde_json::to_writer(self.out, &v).map_err(|_| Fallback)
    }
    fn serialize_char(self, v: char) -> Result {
        push_str(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result {
        push_str(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result {
        let mut seq = self.open(b"[", b"]");
        for b in v {
            seq.comma();
            push_int(seq.out, *b);
        }
        seq.end()
    }
    fn serialize_none(self) -> Result {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result {
        push_str(self.out, variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result {
        if is_serde_json_private(name) {
            return Err(Fallback);
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result {
        let out = self.variant(variant);
        value.serialize(Writer { out: &mut *out.out })?;
        out.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>> {
        Ok(self.open(b"[", b"]"))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a>> {
        Ok(self.open(b"[", b"]"))
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a>> {
        Ok(self.open(b"[", b"]"))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>> {
        Ok(self.variant(variant).open(b"[", b"]}"))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>> {
        Ok(self.open(b"{", b"}"))
    }
    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Compound<'a>> {
        if is_serde_json_private(name) {
            return Err(Fallback);
        }
        Ok(self.open(b"{", b"}"))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>> {
        Ok(self.variant(variant).open(b"{", b"}}"))
    }
}

elements!(SerializeSeq, serialize_element);
elements!(SerializeTuple, serialize_element);
elements!(SerializeTupleStruct, serialize_field);
elements!(SerializeTupleVariant, serialize_field);
impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Fallback;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        self.comma();
        key.serialize(KeyWriter { out: self.out })?;
        self.out.push(b':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(Writer { out: self.out })
    }
    fn end(self) -> Result {
        Compound::end(self)
    }
}

fields!(SerializeStruct);

fields!(SerializeStructVariant);

/// A map key: strings as they are, integers and bools quoted (as serde_json
/// writes them); anything else is left to serde_json.
struct KeyWriter<'a> {
    out: &'a mut Vec<u8>,
}

impl KeyWriter<'_> {
    fn quoted(self, text: &[u8]) -> Result {
        self.out.push(b'"');
        self.out.extend_from_slice(text);
        self.out.push(b'"');
        Ok(())
    }
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = Fallback;
    type SerializeSeq = Impossible<(), Fallback>;
    type SerializeTuple = Impossible<(), Fallback>;
    type SerializeTupleStruct = Impossible<(), Fallback>;
    type SerializeTupleVariant = Impossible<(), Fallback>;
    type SerializeMap = Impossible<(), Fallback>;
    type SerializeStruct = Impossible<(), Fallback>;
    type SerializeStructVariant = Impossible<(), Fallback>;

    fn serialize_str(self, v: &str) -> Result {
        push_str(self.out, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result {
        push_str(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result {
        push_str(self.out, variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result {
        if is_serde_json_private(name) {
            return Err(Fallback);
        }
        value.serialize(self)
    }
    fn serialize_bool(self, v: bool) -> Result {
        self.quoted(if v { b"true" } else { b"false" })
    }
    numbers!(
        |out: &mut Vec<u8>, digits: &[u8]| {
            out.push(b'"');
            out.extend_from_slice(digits);
            out.push(b'"');
        };
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128
    );
    fn serialize_f32(self, _v: f32) -> Result {
        Err(Fallback)
    }
    fn serialize_f64(self, _v: f64) -> Result {
        Err(Fallback)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result {
        Err(Fallback)
    }
    fn serialize_none(self) -> Result {
        Err(Fallback)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result {
        Err(Fallback)
    }
    fn serialize_unit(self) -> Result {
        Err(Fallback)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        Err(Fallback)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result {
        Err(Fallback)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(Fallback)
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple> {
        Err(Fallback)
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(Fallback)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(Fallback)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        Err(Fallback)
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct> {
        Err(Fallback)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(Fallback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Serialize;
    use std::collections::BTreeMap;

    fn ours<T: Serialize + ?Sized>(v: &T) -> Vec<u8> {
        let mut out = b"prefix".to_vec();
        write_line(&mut out, v).expect("serializable");
        out.drain(..6);
        out
    }

    fn theirs<T: Serialize + ?Sized>(v: &T) -> Vec<u8> {
        serde_json::to_vec(v).expect("serializable")
    }

    fn same<T: Serialize + ?Sized>(v: &T) {
        assert_eq!(
            String::from_utf8(ours(v)).unwrap(),
            String::from_utf8(theirs(v)).unwrap()
        );
    }

    #[derive(Serialize)]
    struct Unit;

    #[derive(Serialize)]
    struct Newtype(u16);

    #[derive(Serialize)]
    struct Tuple(u8, &'static str);

    #[derive(Serialize)]
    enum E {
        A,
        B(i32),
        C(u8, u8),
        D { x: bool, y: Option<u8> },
    }

    #[derive(Serialize)]
    #[serde(tag = "kind", rename_all = "lowercase")]
    enum Tagged {
        One { a: u8 },
        Two(Inner),
    }

    #[derive(Serialize)]
    struct Inner {
        #[serde(rename = "type")]
        t: u8,
        #[serde(skip_serializing_if = "Option::is_none")]
        gone: Option<u8>,
        #[serde(flatten)]
        more: BTreeMap<String, u8>,
    }

    #[test]
    fn every_shape_is_written_as_serde_json_writes_it() {
        same(&true);
        same(&(
            -5i8,
            300i16,
            -70000i32,
            i64::MIN,
            i128::MIN,
            u128::MAX,
            u64::MAX,
        ));
        same(&(1.5f64, f64::NAN, f32::INFINITY, 0.1f32, -0.0f64));
        same(&'"');
        same(&'é');
        same(&serde_bytes_like());
        same(&Option::<u8>::None);
        same(&Some(3u8));
        same(&());
        same(&Unit);
        same(&Newtype(7));
        same(&Tuple(1, "x"));
        same(&vec![E::A, E::B(-1), E::C(1, 2), E::D { x: true, y: None }]);
        same(&Vec::<u8>::new());
        same(&BTreeMap::<u8, u8>::new());
        same(&Tagged::One { a: 1 });
        same(&Tagged::Two(Inner {
            t: 9,
            gone: None,
            more: [("k\n".to_string(), 1)].into(),
        }));
        let keys: BTreeMap<i64, &str> = [(-1, "a"), (2, "b")].into();
        same(&keys);
        let keys: BTreeMap<bool, u8> = [(false, 0), (true, 1)].into();
        same(&keys);
        let keys: BTreeMap<char, u8> = [('\u{1}', 0)].into();
        same(&keys);
        same(&serde_json::json!({"a": [1, 2.5, null, "s\u{7f}\u{0}"], "b": {"c": false}}));
    }

    /// `&[u8]` goes through `serialize_bytes` only via a wrapper.
    fn serde_bytes_like() -> impl Serialize {
        struct B(&'static [u8]);
        impl Serialize for B {
            fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_bytes(self.0)
            }
        }
        B(&[0, 1, 255])
    }

    /// A map with one float key, written through `serialize_map`.
    struct FloatKey(f64);
    impl Serialize for FloatKey {
        fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            use ser::SerializeMap;
            let mut m = s.serialize_map(Some(1))?;
            m.serialize_entry(&self.0, &1u8)?;
            m.end()
        }
    }

    /// A newtype with the name serde_json gives its private number type.
    struct Private(u8);
    impl Serialize for Private {
        fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            s.serialize_newtype_struct("$serde_json::private::Number", &self.0)
        }
    }

    #[test]
    fn what_this_writer_leaves_to_serde_json_comes_out_as_serde_json_writes_it() {
        let mut out = Vec::new();
        assert!(FloatKey(1.5).serialize(Writer { out: &mut out }).is_err());
        same(&(1, FloatKey(1.5)));
        assert!(Private(4).serialize(Writer { out: &mut out }).is_err());
        same(&[Private(4)]);

        #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
        struct K(u8, u8);
        let bad: BTreeMap<K, u8> = [(K(1, 2), 3)].into();
        let mut out = b"kept".to_vec();
        let ours = write_line(&mut out, &bad).map_err(|e| e.to_string());
        let theirs = serde_json::to_vec(&bad).map_err(|e| e.to_string());
        assert!(ours.is_err(), "a tuple key is not JSON");
        assert_eq!(ours.unwrap_err(), theirs.unwrap_err());
        assert_eq!(out, b"kept", "a failed line leaves the buffer as it was");
    }

    #[test]
    fn escaping_at_every_position_of_a_word() {
        for special in [
            '"', '\\', '\u{0}', '\u{8}', '\t', '\n', '\u{b}', '\u{c}', '\r', '\u{1f}',
        ] {
            for at in 0..20 {
                let s: String = (0..20)
                    .map(|i| if i == at { special } else { 'a' })
                    .collect();
                same(&s);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]
        #[test]
        fn strings_are_escaped_as_serde_json_escapes_them(s in "\\PC*|[\\x00-\\x7f]{0,40}|[ -~\"\\\\]{0,40}") {
            prop_assert_eq!(ours(&s), theirs(&s));
        }

        #[test]
        fn any_bytes_as_a_string(b in proptest::collection::vec(any::<u8>(), 0..64)) {
            let s = String::from_utf8_lossy(&b).into_owned();
            prop_assert_eq!(ours(&s), theirs(&s));
        }
    }
}
