#!/usr/bin/env python3
"""The reference for llmbo's SentencePiece tokenizer: the sentencepiece library itself (Debian's
python3-sentencepiece), the implementation the Llama 2 / Mistral tokenizer.model files come from.

Usage: spm_reference.py train OUT.model [noprefix]
           trains a BPE model of about 1200 pieces on tests/tokenizer_corpus.py's strings with the
           options of Llama's tokenizer.model (byte fallback, identity normalisation, whitespace
           kept, digits split, whitespace-only pieces allowed, 98 % character coverage, so rarer
           characters fall back to bytes); `noprefix` trains it without the dummy space prefix
       spm_reference.py encode MODEL CORPUS.hex
           the ids of each hex-encoded string, one line each (no BOS; sentencepiece never parses
           special tokens out of text)
"""
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main():
    try:
        import sentencepiece
    except ImportError:
        sys.stderr.write("spm_reference.py: the Python package sentencepiece is missing (Debian: "
                         "python3-sentencepiece; scripts/install-deps.sh test installs it)\n")
        return 2
    if len(sys.argv) >= 3 and sys.argv[1] == "train":
        import tokenizer_corpus
        text = [s.replace("\n", " ") for s in tokenizer_corpus.corpus() if s.strip()]
        model = io.BytesIO()
        sentencepiece.SentencePieceTrainer.train(
            sentence_iterator=iter(text * 3), model_writer=model, model_type="bpe",
            vocab_size=1200, byte_fallback=True, normalization_rule_name="identity",
            remove_extra_whitespaces=False, add_dummy_prefix="noprefix" not in sys.argv[3:],
            split_digits=True, allow_whitespace_only_pieces=True, character_coverage=0.98,
            hard_vocab_limit=False, max_sentence_length=100000, minloglevel=2, num_threads=1,
            seed_sentencepiece_size=100000)
        with open(sys.argv[2], "wb") as f:
            f.write(model.getvalue())
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "encode":
        sp = sentencepiece.SentencePieceProcessor(model_file=sys.argv[2])
        out = []
        for line in open(sys.argv[3]).read().split("\n"):
            if line:
                out.append(" ".join(map(str, sp.encode(bytes.fromhex(line).decode("utf-8")))))
        sys.stdout.write("\n".join(out) + "\n")
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
