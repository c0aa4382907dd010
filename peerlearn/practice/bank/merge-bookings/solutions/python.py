def merge_bookings(bookings):
    blocks = []
    for start, end in sorted(bookings):
        if blocks and start <= blocks[-1][1]:
            # overlaps or touches the current block: extend it
            if end > blocks[-1][1]:
                blocks[-1][1] = end
        else:
            blocks.append([start, end])
    return blocks
