def shared_badges(north, south):
    remaining = set(north)
    shared = []
    for badge in south:
        if badge in remaining:
            remaining.discard(badge)
            shared.append(badge)
    return shared
