// Times llama.cpp on a GGUF model: prefill of a prompt and greedy generation,
// on a given number of threads, for forkrl's speed comparison.
//
//   node speed.mjs MODEL.gguf THREADS PROMPT_TOKENS GEN_TOKENS
//
// Prints {"prefill_tps": ..., "gen_tps": ...}. The prompt is random token
// ids; generation continues greedily from it. Weights and cache are as in
// the parity harness: F32 KV cache, flash attention off.
import {getLlama} from "node-llama-cpp";

const [modelPath, threadsArg, promptArg, genArg] = process.argv.slice(2);
const threads = Number(threadsArg), P = Number(promptArg), G = Number(genArg);
const llama = await getLlama({gpu: false, build: "never", usePrebuiltBinaries: true, skipDownload: true, logLevel: "error"});
const model = await llama.loadModel({modelPath, gpuLayers: 0});
const context = await model.createContext({
    contextSize: P + G + 16, batchSize: P, threads, flashAttention: false,
    experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32",
});
const seq = context.getSequence();
let x = 12345;
const prompt = Array.from({length: P}, () => (x = (x * 1103515245 + 12345) % 2147483648) % 256);

let t0 = performance.now();
await seq.evaluateWithoutGeneratingNewTokens(prompt.slice(0, P - 1));
const prefill = (performance.now() - t0) / 1000;

let n = 0;
t0 = performance.now();
for await (const _ of seq.evaluate([prompt[P - 1]], {temperature: 0})) {
    if (++n >= G) break;
}
const gen = (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify({prefill_tps: (P - 1) / prefill, gen_tps: n / gen}) + "\n");
await context.dispose();
await model.dispose();
