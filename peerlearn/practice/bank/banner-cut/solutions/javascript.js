function bannerCut(strip, slogan) {
    const need = new Int32Array(128);
    const wanted = new Uint8Array(128);
    for (let i = 0; i < slogan.length; i++) {
        need[slogan.charCodeAt(i)]++;
        wanted[slogan.charCodeAt(i)] = 1;
    }
    let missing = slogan.length;
    const n = strip.length;
    let bestStart = 0;
    let bestLen = n + 1;
    let left = 0;
    for (let right = 0; right < n; right++) {
        const c = strip.charCodeAt(right);
        if (wanted[c]) {
            if (need[c] > 0) missing--;
            need[c]--;
        }
        if (missing === 0) {
            while (true) {
                const d = strip.charCodeAt(left);
                if (!wanted[d]) left++;
                else if (need[d] < 0) {
                    need[d]++;
                    left++;
                } else break;
            }
            if (right - left + 1 < bestLen) {
                bestStart = left;
                bestLen = right - left + 1;
            }
        }
    }
    return bestLen <= n ? strip.slice(bestStart, bestStart + bestLen) : "";
}
