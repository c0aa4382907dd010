const data = require("fs").readFileSync(0, "utf8").split(/\s+/).filter(Boolean).map(Number);
const n = data[0], m = data[1];
const roads = [];
for (let i = 0; i < m; i++) roads.push([data[2 + 3 * i], data[3 + 3 * i], data[4 + 3 * i]]);
// TODO: print "-1", or the fastest time and the number of fastest routes modulo 1000000007
console.log("-1");
