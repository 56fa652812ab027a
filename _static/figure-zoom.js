// A click on a figure of a chapter opens the full-size image in a new tab: a figure scaled down to the
// text column (or a phone's screen) can be read there at its natural size.
document.addEventListener("DOMContentLoaded", () => {
  for (const img of document.querySelectorAll("div.cell_output img")) {
    if (img.closest("a")) continue;
    const link = document.createElement("a");
    link.href = img.getAttribute("src");
    link.target = "_blank";
    link.rel = "noopener";
    link.className = "dlcourse-figure-link";
    link.title = "Open the full-size figure";
    img.replaceWith(link);
    link.appendChild(img);
  }
});
