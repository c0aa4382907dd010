function othersProduct(gears) {
    const MOD = 1000000007;
    // a * b mod MOD without leaving the exact range of a double (a, b < 2^30)
    const mulMod = (a, b) => (((a * (b >>> 16)) % MOD) * 65536 + a * (b & 65535)) % MOD;
    const n = gears.length;
    const answer = new Array(n).fill(1);
    let running = 1;
    for (let i = 0; i < n; i++) {
        answer[i] = running;
        running = mulMod(running, gears[i] % MOD);
    }
    running = 1;
    for (let i = n - 1; i >= 0; i--) {
        answer[i] = mulMod(answer[i], running);
        running = mulMod(running, gears[i] % MOD);
    }
    return answer;
}
