const data = require("fs").readFileSync(0, "utf8").split(/\s+/).filter(Boolean).map(Number);
const n = data[0];
const h = data.slice(1, 1 + n);
let left = 0;
let right = n - 1;
let bestLeft = 0;
let bestRight = 0;
let water = 0; // at most about 2e14: exact in a double
while (left <= right) {
    if (bestLeft <= bestRight) {
        bestLeft = Math.max(bestLeft, h[left]);
        water += bestLeft - h[left];
        left++;
    } else {
        bestRight = Math.max(bestRight, h[right]);
        water += bestRight - h[right];
        right--;
    }
}
console.log(String(water));
