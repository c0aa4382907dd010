import sys


def main():
    data = sys.stdin.buffer.read().split()
    n = int(data[0])
    h = list(map(int, data[1:1 + n]))
    left, right = 0, n - 1
    best_left = best_right = 0
    water = 0
    while left <= right:
        if best_left <= best_right:
            if h[left] > best_left:
                best_left = h[left]
            water += best_left - h[left]
            left += 1
        else:
            if h[right] > best_right:
                best_right = h[right]
            water += best_right - h[right]
            right -= 1
    print(water)


main()
