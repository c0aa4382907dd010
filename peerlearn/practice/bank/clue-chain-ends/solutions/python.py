def hunt_ends(next):
    # Floyd's tortoise and hare: if the chain loops, the fast walker catches the slow one.
    slow = fast = 0
    while True:
        for _ in range(2):
            fast = next[fast]
            if fast == -1:
                return True
        slow = next[slow]
        if slow == fast:
            return False
