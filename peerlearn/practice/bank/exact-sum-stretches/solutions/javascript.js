function countExactStretches(balance, goal) {
    const seen = new Map([[0, 1]]);
    let prefix = 0;
    let total = 0;
    for (const value of balance) {
        prefix += value;
        total += seen.get(prefix - goal) || 0;
        seen.set(prefix, (seen.get(prefix) || 0) + 1);
    }
    return total;
}
