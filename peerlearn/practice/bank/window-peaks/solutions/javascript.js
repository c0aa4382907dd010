function windowPeaks(readings, k) {
    // A deque as an array with a moving head index.
    const candidates = new Int32Array(readings.length);
    let head = 0;
    let tail = 0;
    const peaks = [];
    for (let i = 0; i < readings.length; i++) {
        while (tail > head && readings[candidates[tail - 1]] <= readings[i]) tail--;
        candidates[tail++] = i;
        if (candidates[head] <= i - k) head++;
        if (i >= k - 1) peaks.push(readings[candidates[head]]);
    }
    return peaks;
}
