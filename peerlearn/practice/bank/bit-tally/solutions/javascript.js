// Total number of 1 bits in the binary forms of 0, 1, ..., x (exact while below 2^53).
function litUpTo(x) {
    if (x < 0) return 0;
    let total = 0;
    const n = x + 1;
    for (let half = 1; half <= x; half *= 2) {
        const period = half * 2;
        total += Math.floor(n / period) * half;
        total += Math.max(0, (n % period) - half);
    }
    return total;
}

const data = require("fs").readFileSync(0, "utf8").split(/\s+/).filter(Boolean).map(Number);
const q = data[0];
const out = [];
for (let i = 0; i < q; i++) {
    const l = data[1 + 2 * i];
    const r = data[2 + 2 * i];
    out.push(litUpTo(r) - litUpTo(l - 1));
}
process.stdout.write(out.join("\n") + "\n");
