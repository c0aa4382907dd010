const data = require("fs").readFileSync(0, "utf8").split(/\s+/).filter(Boolean).map(Number);
const q = data[0];
for (let i = 0; i < q; i++) {
    const l = data[1 + 2 * i];
    const r = data[2 + 2 * i];
    // TODO: print the total number of lit lamps for the scores l, l+1, ..., r
}
