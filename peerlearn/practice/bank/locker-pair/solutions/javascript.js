function lockerPair(labels, target) {
    const seen = new Map();
    for (let j = 0; j < labels.length; j++) {
        const i = seen.get(target - labels[j]);
        if (i !== undefined) return [i, j];
        if (!seen.has(labels[j])) seen.set(labels[j], j);
    }
    return [];
}
