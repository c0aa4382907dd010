const data = require("fs").readFileSync(0, "utf8").split(/\s+/).filter(Boolean).map(Number);
const n = data[0];
const heights = data.slice(1, 1 + n);
// TODO: print the total amount of trapped water
