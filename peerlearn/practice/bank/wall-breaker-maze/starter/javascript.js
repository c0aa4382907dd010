const tokens = require("fs").readFileSync(0, "utf8").split(/\s+/).filter(Boolean);
const rows = Number(tokens[0]), cols = Number(tokens[1]), k = Number(tokens[2]);
const grid = tokens.slice(3, 3 + rows); // grid[r][c] is one of 'S', 'E', '.', '#'
// TODO: print the fewest moves from S to E demolishing at most k walls, or -1
console.log("-1");
