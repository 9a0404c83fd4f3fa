// `npm run build`: the agent bundle and the providers' runtime bundle (rebuilt when stale).
import { resolve } from "node:path";
import { ensureBundles } from "../src/components/bundles";

const rebuilt = ensureBundles(resolve(__dirname, ".."));
process.stderr.write(rebuilt.length ? `[build] rebuilt: ${rebuilt.join(", ")}\n` : "[build] bundles up to date\n");
