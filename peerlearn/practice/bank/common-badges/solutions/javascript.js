function sharedBadges(north, south) {
    const remaining = new Set(north);
    const shared = [];
    for (const badge of south) {
        if (remaining.delete(badge)) shared.push(badge);
    }
    return shared;
}
