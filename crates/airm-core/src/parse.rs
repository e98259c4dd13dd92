//! The one error type of this crate: a string that does not name a value of an enum.
//!
//! Kept deliberately small; the crate has no I/O and therefore no other failure modes.

use std::fmt;

/// A text could not be read as a value of `kind`; `expected` lists what is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What was being parsed, e.g. `"severity"`.
    pub kind: &'static str,
    /// The text given.
    pub value: String,
    /// The accepted spellings, comma-separated.
    pub expected: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} `{}` (expected one of: {})",
            self.kind, self.value, self.expected
        )
    }
}

impl std::error::Error for ParseError {}

/// Declares a fieldless enum with a stable kebab-case spelling used by serde, `Display`,
/// `FromStr` and the database, so the four never disagree.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $kind:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable spelling (serde, CLI, database).
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::ParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim();
                $( if t.eq_ignore_ascii_case($text) { return Ok($name::$variant); } )+
                Err($crate::ParseError {
                    kind: $kind,
                    value: s.to_string(),
                    expected: [$($text),+].join(", "),
                })
            }
        }
    };
}
pub(crate) use string_enum;
