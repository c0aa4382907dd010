def class_captain(ballots):
    candidate, balance = None, 0
    for vote in ballots:
        if balance == 0:
            candidate = vote
        balance += 1 if vote == candidate else -1
    return candidate
