const data = require("fs").readFileSync(0, "utf8").split(/\s+/).filter(Boolean).map(Number);
const q = data[0];
const N = 1000000;
const composite = new Uint8Array(N + 1);
composite[0] = composite[1] = 1;
for (let p = 2; p * p <= N; p++) {
    if (!composite[p]) for (let m = p * p; m <= N; m += p) composite[m] = 1;
}
const upto = new Int32Array(N + 1);
for (let x = 1; x <= N; x++) upto[x] = upto[x - 1] + (composite[x] ? 0 : 1);
const out = [];
for (let i = 0; i < q; i++) {
    const l = data[1 + 2 * i];
    const r = data[2 + 2 * i];
    out.push(upto[r] - upto[l - 1]);
}
process.stdout.write(out.join("\n") + "\n");
