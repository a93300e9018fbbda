#pragma once
// The Porter stemmer exactly as NLTK's nltk.stem.porter.PorterStemmer()
// runs it by default (mode NLTK_EXTENSIONS, checked against NLTK 3.8), which
// is what rouge_score's DefaultTokenizer(use_stemmer=True) uses. Not the
// ORIGINAL_ALGORITHM: NLTK adds an irregular-forms table and a few rules.
#include <string>
#include <string_view>

namespace tb::eval {

// `word` is lowercased (ASCII) first, as PorterStemmer.stem() does.
std::string porterStem(std::string_view word);

} // namespace tb::eval
