#!/usr/bin/env python3
"""A tokenizer test corpus: several hundred strings covering many scripts, code, numbers,
whitespace runs, emoji sequences, combining marks, contractions and the special tokens of the
Qwen, Llama 3 and DeepSeek vocabularies. Deterministic (fixed seed).

Usage: tokenizer_corpus.py hex        one hex-encoded UTF-8 string per line (for drivers)
       tokenizer_corpus.py hex-nfc    the same, each string in Unicode normalisation form NFC
       tokenizer_corpus.py count      the number of strings
"""
import random
import sys
import unicodedata

SCRIPTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Größenwahn ist keine Straße; Übermut tut selten gut.",
    "Ça va? Déjà vu, naïve façade, cœur, œuvre.",
    "¿Dónde está la biblioteca? ¡Olé!",
    "Český jazyk: příliš žluťoučký kůň úpěl ďábelské ódy.",
    "Zażółć gęślą jaźń.",
    "Быстрая коричневая лиса перепрыгивает через ленивую собаку.",
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "Ελληνικά: Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.",
    "العربية: نص حكيم له سر قاطع وذو شأن عظيم",
    "עברית: דג סקרן שט בים מאוכזב ולפתע מצא חברה",
    "हिन्दी: ऋषियों को सताने वाले दुष्ट राक्षसों के राजा रावण का सर्वनाश",
    "বাংলা ভাষা একটি ইন্দো-আর্য ভাষা",
    "தமிழ் ஒரு திராவிட மொழி",
    "ภาษาไทย: เป็นมนุษย์สุดประเสริฐเลิศคุณค่า",
    "中文：我能吞下玻璃而不伤身体。",
    "繁體中文：我能吞下玻璃而不傷身體。",
    "日本語：いろはにほへと ちりぬるを カタカナ ﾊﾝｶｸ",
    "한국어: 다람쥐 헌 쳇바퀴에 타고파",
    "Հայերեն: Բարեւ աշխարհ",
    "ქართული: გამარჯობა მსოფლიო",
    "Tiếng Việt: Tôi có thể ăn thủy tinh mà không hại gì.",
    "Türkçe: Pijamalı hasta yağız şoföre çabucak güvendi.",
    "Íslenska: Sævör grét áðan því úlpan var ónýt.",
    "Ελληνικά και English mixed με 中文 and русский.",
    "ꦧꦱꦗꦮ ᠮᠣᠩᠭᠣᠯ ᏣᎳᎩ ⵜⴰⵎⴰⵣⵉⵖⵜ",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ ａｂｃ １２３",
    "𝐌𝐚𝐭𝐡 𝑖𝑡𝑎𝑙𝑖𝑐 𝔉𝔯𝔞𝔨𝔱𝔲𝔯",
    "ﬁ ﬂ ﬀ ligatures and Ⅻ roman ⅻ",
]

CODE = [
    "def f(x):\n    return x ** 2 + 3 * x - 1\n",
    "for (int i = 0; i < n; i++) { sum += a[i] * b[i]; }",
    "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }",
    "{\"points\": [{\"x1\": 0.5, \"x2\": -3.75, \"lr\": 1e-3}]}",
    "{\"ranking\": [3, 1, 0, 2]}",
    "SELECT name, COUNT(*) FROM users WHERE age >= 18 GROUP BY name;",
    "git commit -m 'fix: off-by-one in loop' && git push origin main",
    "<div class=\"row\"><span id='a'>Hello &amp; bye</span></div>",
    "const re = /^[a-z0-9_-]{3,16}$/i; // username",
    "x = [i for i in range(10) if i % 2 == 0]",
    "fn main() -> Result<(), Box<dyn Error>> { Ok(()) }",
    "$ export PATH=$HOME/.local/bin:$PATH; echo ${PATH##*/}",
    "    indented by four\n\tand a tab\n        eight\n",
    "a->b; c::d; e=>f; g!==h; i<=j; k>>=2; l||m; n&&o; p?.q ?? r",
    "@decorator\nclass Foo(Bar, metaclass=Meta):\n    __slots__ = ('a',)\n",
    "\\begin{equation} E = mc^2 \\end{equation}",
    "~/path/to/file.txt ~user ~~strike~~ a~b",
    "#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n",
    "<|fim_prefix|>def add(a, b):<|fim_suffix|>\n<|fim_middle|>",
    "1.0f + 2.5e-10 - 0x1F & 0b1010 | 0o777",
]

NUMBERS = [
    "0", "7", "42", "123", "1234", "12345", "123456", "1234567", "12345678901234567890",
    "3.14159", "-2.71828", "+1.5e+10", "6.022e23", "1,000,000", "1.000.000,50", "1 000 000",
    "$1,234.56", "€99,99", "¥10000", "50%", "1/2", "½ ¼ ¾", "2024-12-31", "23:59:59",
    "+1 (555) 123-4567", "192.168.0.1", "v1.2.3-rc.4", "٠١٢٣٤٥٦٧٨٩", "०१२३४५६७८९", "１２３４５",
    "Ⅰ Ⅱ Ⅲ Ⅳ", "①②③", "x1 x2 x10 x100", "0.000001", "9999999999", "1e-300", "NaN inf -inf",
    "3rd 21st 42nd 100th", "A4 B52 C3PO R2D2", "1234567.891011",
]

SPACES = [
    " ", "  ", "   ", "    ", "\t", "\n", "\n\n", "\n\n\n", "\r\n", "\r\n\r\n", " \n", "\n ",
    " \t \n", "a  b", "a   b", "a\tb", "a \n b", "trailing   ", "   leading", "  both  ",
    "x\n\n\ny", "line1\nline2\r\nline3\rline4", "\u00a0nbsp\u00a0", "ideographic\u3000space",
    "en\u2002em\u2003thin\u2009", "a\u200bzero\u200bwidth", "\u2028line sep\u2029para",
    " " * 17 + "x", "\n" * 9 + "y", " \t" * 6, "end with newline\n", "  \n  \n  ",
]

EMOJI = [
    "🙂", "🙂🙂🙂", "I ❤️ you", "👍🏽 👍🏿", "👨‍👩‍👧‍👦 family", "🏳️‍🌈 🏴‍☠️", "🇩🇪🇫🇷🇯🇵",
    "1️⃣ 2️⃣ #️⃣", "emoji🙂inside", "🤖: beep", "☕️☕︎", "🧑🏻‍💻 coding", "👩‍❤️‍💋‍👨",
    "😀😃😄😁😆😅😂🤣", "✨ sparkle ✨", "→ ← ↑ ↓ ⇒ ∀ ∃ ∈ ∑ ∫", "♠♥♦♣", "©®™",
]

COMBINING = [
    "e\u0301", "cafe\u0301", "re\u0301sume\u0301", "n\u0303", "a\u0308o\u0308u\u0308",
    "Tie\u0302\u0301ng Vie\u0323\u0302t", "Z\u0351\u0310a\u0334l\u0338g\u035co\u0362",
    "\u1100\u1161\u11a8", "\u0915\u094d\u0937", "\u0e01\u0e34\u0e19", "o\u0327\u0304",
    "\u0041\u030a ångström \u212b", "q\u0307\u0323", "\u05e9\u05c1\u05b8", "x\u20d7 y\u0305",
]

CONTRACTIONS = [
    "I'm", "you're", "we'll", "it's", "can't", "won't", "they've", "he'd", "I'M", "YOU'RE",
    "WE'LL", "It'S", "don'T", "'s", "'tis", "rock 'n' roll", "O'Brien's", "y'all'd've",
    "“curly” ‘quotes’ don’t", "l'été d'hiver",
]

SPECIALS = [
    "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n",
    "<|im_start|>system\nYou are helpful.<|im_end|>",
    "<think>\nreasoning\n</think>\n\nanswer",
    "<|endoftext|>",
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
    "<|start_header_id|>assistant<|end_header_id|>\n\n",
    "<｜begin▁of▁sentence｜><｜User｜>What is 2+2?<｜Assistant｜>",
    "<｜end▁of▁sentence｜>",
    "<｜User｜>hi<｜Assistant｜><think>\nok</think>",
    "text<|im_end|>more<|im_start|>",
    "<|im_start|><|im_start|>",
    "<|im_sta rt|> not special",
    "<|eot_id|><|eot_id|>",
    "< |im_end| >",
]

FRAGMENTS = (SCRIPTS + CODE + NUMBERS + SPACES + EMOJI + COMBINING + CONTRACTIONS +
             ["a", "b", "the", " ", "\n", ".", ",", "!", "?", "'", "\"", "-", "_", "(", ")"])


def corpus():
    out = SCRIPTS + CODE + NUMBERS + SPACES + EMOJI + COMBINING + CONTRACTIONS + SPECIALS
    rng = random.Random(20261204)
    seen = set(out)
    while len(out) < 480:
        k = rng.randint(2, 5)
        parts = [rng.choice(FRAGMENTS) for _ in range(k)]
        if rng.random() < 0.15:
            parts.insert(rng.randint(0, k), rng.choice(SPECIALS))
        sep = rng.choice(["", " ", "\n", "  ", "\t", ", "])
        s = sep.join(parts)
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def main():
    c = corpus()
    if len(sys.argv) > 1 and sys.argv[1] == "count":
        print(len(c))
    else:
        nfc = len(sys.argv) > 1 and sys.argv[1] == "hex-nfc"
        for s in c:
            print((unicodedata.normalize("NFC", s) if nfc else s).encode("utf-8").hex())
    return 0


if __name__ == "__main__":
    sys.exit(main())
