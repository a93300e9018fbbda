// Runs a GGUF file through llama.cpp, by way of npm's node-llama-cpp and its
// prebuilt CPU binaries, and prints what it did as one JSON object on stdout:
//   {"llamaCpp": {"repo", "release"}, "tokens": [...], "generated": [...]}
// tst_gguf_interop compares both lists with Tunebench's own tokenizer and
// decoding loop.
//
//   node llama_cpp_run.mjs --modules DIR --model FILE.gguf [--lora ADAPTER.gguf]
//        [--tokenize TEXT] [--prompt 1,2,3 --n 16]
//
// --modules: the folder node-llama-cpp was installed into (npm --prefix DIR).
// --tokenize: the text's token ids, without special tokens (no BOS).
// --prompt/--n: N tokens decoded greedily after the prompt ids: temperature
//   0, no repeat penalty, no grammar, no stop at end-of-text.
import path from "node:path";
import {pathToFileURL} from "node:url";

function parseArgs(argv) {
    const args = {n: 16};
    for (let i = 0; i < argv.length; i += 2) {
        const key = argv[i], value = argv[i + 1];
        if (!key.startsWith("--") || value === undefined)
            throw new Error(`expected --option value pairs, got "${key}"`);
        args[key.slice(2)] = value;
    }
    for (const required of ["modules", "model"])
        if (!args[required])
            throw new Error(`--${required} is required`);
    args.n = Number(args.n);
    return args;
}

async function main() {
    const args = parseArgs(process.argv.slice(2));
    const entry = path.join(args.modules, "node_modules", "node-llama-cpp", "dist", "index.js");
    const {getLlama, LlamaLogLevel} = await import(pathToFileURL(entry).href);

    // The prebuilt CPU binary only: never build or download at test time.
    const llama = await getLlama({gpu: false, build: "never", skipDownload: true, logLevel: LlamaLogLevel.error});
    const model = await llama.loadModel({modelPath: args.model});
    const out = {llamaCpp: llama.llamaCppRelease};

    if (args.tokenize !== undefined)
        out.tokens = Array.from(model.tokenize(args.tokenize, false));

    if (args.prompt !== undefined) {
        const prompt = args.prompt.split(",").map(Number);
        const context = await model.createContext({
            contextSize: Math.min(model.trainContextSize, 1024),
            sequences: 1,
            lora: args.lora ? {adapters: [{filePath: args.lora, scale: 1}]} : undefined,
        });
        const sequence = context.getSequence();
        const generated = [];
        if (args.n > 0) {
            for await (const token of sequence.evaluate(prompt, {temperature: 0})) {
                generated.push(token);
                if (generated.length >= args.n)
                    break;
            }
        }
        out.generated = generated;
        await context.dispose();
    }
    await model.dispose();
    await llama.dispose();
    process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((error) => {
    process.stderr.write(`llama_cpp_run: ${error && error.message ? error.message : error}\n`);
    process.exit(1);
});
