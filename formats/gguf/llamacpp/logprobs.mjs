// Prints llama.cpp's log-softmax of the next-token distribution at every
// position of a token sequence, for forkrl's parity test.
//
//   node logprobs.mjs MODEL.gguf < request.json > response.json
//
// request:  {"ids": [int, ...], "threads": 1}
// response: {"vocab": V, "logprobs": [[V floats] per position]}
//
// The KV cache is F32 (the default F16 cache alone costs ~7e-3 in log-prob),
// flash attention is off, and the context holds the whole sequence (a shorter
// one would silently shift it).
import {getLlama} from "node-llama-cpp";
import {readFileSync} from "node:fs";

const model_path = process.argv[2];
const req = JSON.parse(readFileSync(0, "utf8"));
const llama = await getLlama({gpu: false, build: "never", usePrebuiltBinaries: true, skipDownload: true, logLevel: "error"});
const model = await llama.loadModel({modelPath: model_path, gpuLayers: 0});
const vocab = model.tokens.vocabularySize ?? model.fileInsights.tensorInfo?.find(t => t.name === "token_embd.weight")?.dimensions[1];
const context = await model.createContext({
    contextSize: Math.max(req.ids.length + 8, 64),
    batchSize: Math.max(req.ids.length + 8, 64),
    threads: req.threads ?? 1,
    flashAttention: false,
    experimentalKvCacheKeyType: "F32",
    experimentalKvCacheValueType: "F32",
});
const seq = context.getSequence();
const out = await seq.controlledEvaluate(req.ids.map(t => [t, {generateNext: {probabilities: true}}]));
const logprobs = out.map(o => {
    const row = new Array(vocab).fill(-Infinity);
    for (const [tok, p] of o.next.probabilities) row[tok] = Math.log(p);
    return row;
});
process.stdout.write(JSON.stringify({vocab, logprobs}, (k, v) => v === -Infinity ? -1e30 : v));
await context.dispose();
await model.dispose();
