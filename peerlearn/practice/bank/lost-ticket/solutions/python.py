def lost_ticket(tickets):
    n = len(tickets)
    answer = n
    for i, t in enumerate(tickets):
        answer ^= i ^ t
    return answer
