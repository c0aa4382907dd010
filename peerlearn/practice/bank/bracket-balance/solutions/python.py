def bracket_balance(code):
    partner = {")": "(", "]": "[", "}": "{"}
    stack = []
    for ch in code:
        if ch in partner:
            if not stack or stack[-1] != partner[ch]:
                return False
            stack.pop()
        else:
            stack.append(ch)
    return not stack
