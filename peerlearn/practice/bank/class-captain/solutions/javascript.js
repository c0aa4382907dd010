function classCaptain(ballots) {
    let candidate = 0;
    let balance = 0;
    for (const vote of ballots) {
        if (balance === 0) candidate = vote;
        balance += vote === candidate ? 1 : -1;
    }
    return candidate;
}
