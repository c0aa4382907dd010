function freshStreak(plays) {
    const last = new Map();
    let left = 0;
    let best = 0;
    for (let right = 0; right < plays.length; right++) {
        const p = last.get(plays[right]);
        if (p !== undefined && p >= left) left = p + 1;
        last.set(plays[right], right);
        best = Math.max(best, right - left + 1);
    }
    return best;
}
