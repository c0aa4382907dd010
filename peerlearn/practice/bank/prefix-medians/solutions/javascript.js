function prefixMedians(north, south, queries) {
    // k-th and (k+1)-th smallest of north[0..i) and south[0..j), 1 <= k <= i + j.
    const middle = (i, j, k) => {
        let lo = Math.max(0, k - j);
        let hi = Math.min(k, i);
        while (lo < hi) {
            const x = (lo + hi) >> 1;
            if (north[x] < south[k - x - 1]) lo = x + 1;
            else hi = x;
        }
        const x = lo;
        const y = k - lo;
        const left = Math.max(x > 0 ? north[x - 1] : -Infinity, y > 0 ? south[y - 1] : -Infinity);
        const right = Math.min(x < i ? north[x] : Infinity, y < j ? south[y] : Infinity);
        return [left, right];
    };
    const answers = [];
    for (const [i, j] of queries) {
        const t = i + j;
        if (t % 2 === 1) {
            answers.push(middle(i, j, (t + 1) / 2)[0]);
        } else {
            const [left, right] = middle(i, j, t / 2);
            answers.push((left + right) / 2);
        }
    }
    return answers;
}
