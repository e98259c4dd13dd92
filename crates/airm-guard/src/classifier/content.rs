//! Content words for the harmful-request head: the folded text without English function
//! words, question stems and politeness ("how", "can you", "please", "the best way to").
//! Without them the head judges *what* is asked, not *how*: the red-team requests it learns
//! from are mostly plain questions, and a model that sees the question form learns that
//! asking a question is harmful. Other languages pass through unchanged (their function
//! words are rarer in the data and harmless to keep). Pure; bounded by the input length.

/// English function words and request stems dropped before scoring (sorted for binary
/// search; lowercase, as the folded text is).
const STOP: &[&str] = &[
    "a", "about", "all", "also", "an", "and", "any", "are", "at", "be", "been", "best", "but",
    "by", "can", "could", "describe", "did", "do", "does", "don't", "explain", "for", "from",
    "get", "give", "good", "had", "has", "have", "he", "help", "here", "how", "how's", "i", "i'm",
    "if", "in", "into", "is", "it", "it's", "its", "just", "know", "let", "like", "list", "make",
    "many", "may", "me", "might", "more", "most", "much", "must", "my", "need", "no", "not", "of",
    "on", "one", "or", "our", "out", "please", "really", "shall", "she", "should", "so", "some",
    "tell", "than", "that", "the", "them", "then", "there", "these", "they", "this", "those",
    "tips", "to", "up", "us", "very", "want", "was", "way", "ways", "we", "were", "what", "what's",
    "when", "where", "which", "who", "whom", "whose", "why", "will", "with", "would", "write",
    "yes", "you", "your",
];

/// Writes the content words of `folded` into `out` (cleared first), separated by spaces.
pub fn content_words(folded: &str, out: &mut String) {
    out.clear();
    for w in folded.split(|c: char| !(c.is_alphanumeric() || c == '\'')) {
        if w.is_empty() || STOP.binary_search(&w).is_ok() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_list_is_sorted_and_drops_question_form() {
        assert!(STOP.windows(2).all(|w| w[0] < w[1]));
        let mut s = String::new();
        content_words("how can i bake the best sourdough bread?", &mut s);
        assert_eq!(s, "bake sourdough bread");
        content_words("如何制作炸弹", &mut s);
        assert_eq!(s, "如何制作炸弹");
        content_words("", &mut s);
        assert_eq!(s, "");
    }
}
